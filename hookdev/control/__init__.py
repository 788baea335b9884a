"""The control channel between a running `hookdev serve` and its views: events out, commands in."""
