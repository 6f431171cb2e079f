"""Running shopsync on a laptop: `shopsync dev` and its embedded Redis."""
