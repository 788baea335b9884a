"""hookdev: receive, verify, answer, validate, record and replay Okta hooks on your laptop."""

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # `from hookdev import hook` in a handler file; imported lazily so `import hookdev` stays light.
    if name == "hook":
        from hookdev.answers.request import hook

        return hook
    raise AttributeError(f"module 'hookdev' has no attribute {name!r}")
