/*
 * h2mem.h — a small recycling allocator for nghttp2 sessions (nghttp2_mem)
 * and protobuf-c (ProtobufCAllocator), header-only, for h2conn.c and h2cli.c.
 *
 * Every unary call makes nghttp2 allocate and free about ten small objects
 * (stream, outbound items, header arrays, rcbufs) and protobuf-c a few more.
 * With 16 or more streams in flight the same sizes are freed and allocated
 * again in batches larger than glibc's per-size tcache (7 entries), so most
 * of them took malloc's slow paths. A pool keeps freed blocks in per-size-class
 * lists (powers of two, 32 B .. 4 KiB; bigger requests go straight to malloc)
 * and hands them out again.
 *
 * Every block carries a 16-byte header with its class and size, so freeing
 * needs no size and a block may be freed without its pool (pool NULL: plain
 * free), e.g. after the pool's owner is gone. A pool belongs to one thread.
 * Under AddressSanitizer cached blocks are poisoned, so a use after free of
 * a recycled block is still reported.
 */
#ifndef MESHSIM_LIVE_H2MEM_H
#define MESHSIM_LIVE_H2MEM_H

#include <nghttp2/nghttp2.h>
#include <protobuf-c/protobuf-c.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define H2MEM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define H2MEM_ASAN 1
#endif
#endif
#ifdef H2MEM_ASAN
#include <sanitizer/asan_interface.h>
#define H2MEM_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define H2MEM_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define H2MEM_POISON(p, n) ((void)(p), (void)(n))
#define H2MEM_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define H2MEM_NCLASS 8       /* 32, 64, ..., 4096 bytes */
#define H2MEM_MIN_SHIFT 5
#define H2MEM_BIG 0xffffffffu /* header class of a plain malloc'd block */

typedef struct h2mem_hdr {
  uint32_t cls;
  uint32_t pad;
  size_t size; /* usable bytes */
} h2mem_hdr_t;   /* 16 bytes: keeps malloc's 16-byte alignment */

typedef struct h2mem_pool {
  void *free[H2MEM_NCLASS]; /* cached blocks (headers), linked through the
                               first word after the header */
  unsigned n[H2MEM_NCLASS];
  unsigned cap; /* blocks kept per class (fewer for big classes) */
} h2mem_pool_t;

static inline void h2mem_pool_init(h2mem_pool_t *p, unsigned cap) {
  memset(p, 0, sizeof *p);
  p->cap = cap;
}

/* Frees every cached block; the pool may be used again. */
static inline void h2mem_pool_drain(h2mem_pool_t *p) {
  for (int c = 0; c < H2MEM_NCLASS; c++) {
    while (p->free[c]) {
      h2mem_hdr_t *h = p->free[c];
      H2MEM_UNPOISON(h + 1, sizeof(void *));
      p->free[c] = *(void **)(h + 1);
      free(h);
    }
    p->n[c] = 0;
  }
}

static inline int h2mem_class(size_t size) {
  if (size > ((size_t)1 << (H2MEM_MIN_SHIFT + H2MEM_NCLASS - 1)))
    return -1;
  int c = 0;
  while (((size_t)1 << (H2MEM_MIN_SHIFT + c)) < size)
    c++;
  return c;
}

static inline void *h2mem_malloc(size_t size, void *user) {
  h2mem_pool_t *p = user;
  int c = p ? h2mem_class(size) : -1;
  h2mem_hdr_t *h;
  if (c < 0) {
    if (size > SIZE_MAX - sizeof *h)
      return NULL;
    h = malloc(sizeof *h + size);
    if (!h)
      return NULL;
    h->cls = H2MEM_BIG;
    h->size = size;
    return h + 1;
  }
  h = p->free[c];
  if (h) {
    size_t csize = (size_t)1 << (H2MEM_MIN_SHIFT + c);
    H2MEM_UNPOISON(h + 1, csize);
    p->free[c] = *(void **)(h + 1);
    p->n[c]--;
    return h + 1;
  }
  h = malloc(sizeof *h + ((size_t)1 << (H2MEM_MIN_SHIFT + c)));
  if (!h)
    return NULL;
  h->cls = (uint32_t)c;
  h->size = (size_t)1 << (H2MEM_MIN_SHIFT + c);
  return h + 1;
}

static inline void h2mem_free(void *ptr, void *user) {
  if (!ptr)
    return;
  h2mem_pool_t *p = user;
  h2mem_hdr_t *h = (h2mem_hdr_t *)ptr - 1;
  if (h->cls == H2MEM_BIG || !p) {
    free(h);
    return;
  }
  unsigned c = h->cls;
  /* Keep fewer of the big classes: at most about cap * 256 bytes each. */
  unsigned cap = c <= 3 ? p->cap : p->cap >> (c - 3);
  if (p->n[c] >= cap) {
    free(h);
    return;
  }
  *(void **)ptr = p->free[c];
  p->free[c] = h;
  p->n[c]++;
  H2MEM_POISON(ptr, h->size);
}

static inline void *h2mem_calloc(size_t n, size_t size, void *user) {
  if (size && n > SIZE_MAX / size)
    return NULL;
  void *ptr = h2mem_malloc(n * size, user);
  if (ptr)
    memset(ptr, 0, n * size);
  return ptr;
}

static inline void *h2mem_realloc(void *ptr, size_t size, void *user) {
  if (!ptr)
    return h2mem_malloc(size, user);
  h2mem_hdr_t *h = (h2mem_hdr_t *)ptr - 1;
  if (size <= h->size && h->cls != H2MEM_BIG)
    return ptr;
  if (h->cls == H2MEM_BIG && size) {
    h2mem_hdr_t *nh = realloc(h, sizeof *h + size);
    if (!nh)
      return NULL;
    nh->size = size;
    return nh + 1;
  }
  void *np = h2mem_malloc(size, user);
  if (!np)
    return NULL;
  memcpy(np, ptr, h->size < size ? h->size : size);
  h2mem_free(ptr, user);
  return np;
}

/* nghttp2_mem for nghttp2_session_*_new3: nghttp2 copies the struct. */
static inline nghttp2_mem h2mem_nghttp2(h2mem_pool_t *p) {
  nghttp2_mem m = {p, h2mem_malloc, h2mem_free, h2mem_calloc, h2mem_realloc};
  return m;
}

static inline void *h2mem_pb_alloc(void *user, size_t size) {
  return h2mem_malloc(size, user);
}

static inline void h2mem_pb_free(void *user, void *ptr) {
  h2mem_free(ptr, user);
}

/* A ProtobufCAllocator on |p| (NULL: plain malloc with headers); free the
 * message with an allocator on the same pool, or on NULL. */
static inline ProtobufCAllocator h2mem_protobuf(h2mem_pool_t *p) {
  ProtobufCAllocator a = {h2mem_pb_alloc, h2mem_pb_free, p};
  return a;
}

#endif /* MESHSIM_LIVE_H2MEM_H */
