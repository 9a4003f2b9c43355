# fuzz/services.mk: decode-and-handle targets per service
