# services/live: (to be filled)
