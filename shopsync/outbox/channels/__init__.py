"""One module per kind of message shopsync sends; `outbox.delivery` maps kinds to them."""
