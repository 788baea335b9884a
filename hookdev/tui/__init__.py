"""The Textual inspector: a view over a running Session (exchanges stream in; answers edited; calls replayed)."""
