"""Auth of hook calls: verifiers, the issuer key-set cache, and the local OAuth 2.0 authorization server."""
