"""hookdev: receive, verify, answer, validate, record and replay Okta hooks on your laptop."""

__version__ = "0.1.0"
