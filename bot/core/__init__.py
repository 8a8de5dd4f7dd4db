"""The platform-free core: subscriptions, completions, streaks, progress and the replies they produce."""
