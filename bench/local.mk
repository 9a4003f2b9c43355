# bench: (to be filled)
