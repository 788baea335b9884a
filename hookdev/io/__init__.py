"""What goes in and out of files and terminals: HAR, curl and payload export/import, redaction, rendering."""
