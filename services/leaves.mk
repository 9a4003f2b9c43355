# services/leaves.mk: the seven leaf services (productcatalog, currency,
# shipping, payment, email, ad, recommendation) and their shared helpers.
#
# The service code lives in libleaves.a (handlers only, written against
# rt.h), so unit tests, fuzz targets and the simulator link exactly the code
# the executables run. Each executable is its main.c + the live runtime.

# Shared helpers (services/common/) and the default data compiled in.
noinst_LIBRARIES += libsvccommon.a
libsvccommon_a_SOURCES = \
	services/common/money.c services/common/money.h \
	services/common/svc_duration.c services/common/svc_duration.h \
	services/common/svc_json.c services/common/svc_json.h \
	services/common/svc_uuid.c services/common/svc_uuid.h \
	services/common/multipart.c services/common/multipart.h \
	services/common/svc_sqlite.c services/common/svc_sqlite.h \
	services/common/svc_data.h
nodist_libsvccommon_a_SOURCES = data/products_json.c data/currency_conversion_json.c
libsvccommon_a_CFLAGS = $(AM_CFLAGS) $(PROTOBUFC_CFLAGS) $(JANSSON_CFLAGS) $(SQLITE_CFLAGS)
CLEANFILES += data/products_json.c data/currency_conversion_json.c
EXTRA_DIST += data/products.json data/currency_conversion.json data/embed.sh

# data/*.json -> C arrays (generated, do not edit).
data/products_json.c: $(srcdir)/data/products.json $(srcdir)/data/embed.sh
	$(AM_V_GEN)$(MKDIR_P) data && \
	$(SHELL) $(srcdir)/data/embed.sh products_json $(srcdir)/data/products.json > $@-t && mv $@-t $@
data/currency_conversion_json.c: $(srcdir)/data/currency_conversion.json $(srcdir)/data/embed.sh
	$(AM_V_GEN)$(MKDIR_P) data && \
	$(SHELL) $(srcdir)/data/embed.sh currency_conversion_json $(srcdir)/data/currency_conversion.json > $@-t && mv $@-t $@

# The services' handlers.
noinst_LIBRARIES += libleaves.a
libleaves_a_SOURCES = \
	services/productcatalog/productcatalog.c services/productcatalog/productcatalog.h \
	services/productcatalog/seller_store.c services/productcatalog/seller_store.h \
	services/currency/currency.c services/currency/currency.h \
	services/shipping/shipping.c services/shipping/shipping.h \
	services/payment/payment.c services/payment/payment.h \
	services/email/email.c services/email/email.h \
	services/ad/ad.c services/ad/ad.h \
	services/recommendation/recommendation.c services/recommendation/recommendation.h
libleaves_a_CFLAGS = $(AM_CFLAGS) $(PROTOBUFC_CFLAGS) $(JANSSON_CFLAGS) $(SQLITE_CFLAGS)

# Everything a program running leaf services links, after its own objects.
LEAVES_LIBS = libleaves.a libsvccommon.a libproto.a librt.a \
	$(JANSSON_LIBS) $(SQLITE_LIBS) $(PROTOBUFC_LIBS) -lm

# The executables, named as upstream's, each its main.c on the live runtime.
LEAF_PROGRAM_LIBS = libleaves.a libsvccommon.a $(LIVE_LIBS) $(JANSSON_LIBS) $(SQLITE_LIBS) -lm
bin_PROGRAMS += productcatalogservice currencyservice shippingservice \
	paymentservice emailservice adservice recommendationservice
productcatalogservice_SOURCES = services/productcatalog/main.c
productcatalogservice_LDADD = $(LEAF_PROGRAM_LIBS)
currencyservice_SOURCES = services/currency/main.c
currencyservice_LDADD = $(LEAF_PROGRAM_LIBS)
shippingservice_SOURCES = services/shipping/main.c
shippingservice_LDADD = $(LEAF_PROGRAM_LIBS)
paymentservice_SOURCES = services/payment/main.c
paymentservice_LDADD = $(LEAF_PROGRAM_LIBS)
emailservice_SOURCES = services/email/main.c
emailservice_LDADD = $(LEAF_PROGRAM_LIBS)
adservice_SOURCES = services/ad/main.c
adservice_LDADD = $(LEAF_PROGRAM_LIBS)
recommendationservice_SOURCES = services/recommendation/main.c
recommendationservice_LDADD = $(LEAF_PROGRAM_LIBS)
