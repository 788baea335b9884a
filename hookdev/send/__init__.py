"""Acting as Okta: send a hook call with Okta's headers and auth, replay a recorded one, demo traffic."""
