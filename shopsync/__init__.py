"""shopsync: webhook order sync for online stores."""
