# tests: (to be filled)
