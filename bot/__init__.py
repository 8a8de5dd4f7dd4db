"""studybot: a study-habit bot for Telegram, Discord and the terminal."""
