# tools: (to be filled)
