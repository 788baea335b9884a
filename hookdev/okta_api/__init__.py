"""The Okta Management API: hooks registered in the org, Preview (execute), and the System Log."""
