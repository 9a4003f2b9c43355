# services: (to be filled)
