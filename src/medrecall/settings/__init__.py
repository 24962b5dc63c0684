"""Settings: `base` holds safe defaults; production differs only by environment variables."""
