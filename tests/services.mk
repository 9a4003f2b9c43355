# tests/services.mk
