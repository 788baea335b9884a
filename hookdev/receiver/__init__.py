"""The receiver: the aiohttp app that takes hook calls, the SQLite store, and the session that composes them."""
