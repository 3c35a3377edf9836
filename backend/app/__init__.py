"""UniTrack API application package."""
