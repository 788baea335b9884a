"""Where answers come from: editable templates, the user's Python handlers, or the user's own service."""
