# fuzz/live.mk: targets for the live runtime (owned by the live runtime)
