/* A growable byte buffer and decimal digits: what hunter's C files write their texts with. */
#ifndef HUNTER_BUFFER_H
#define HUNTER_BUFFER_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <string.h>

/* -- a growable byte buffer (for one line, one value) ------------------------------------------------------ */

/* ``owned``: ``data`` was allocated here (else it is the caller's, a stack array the buffer starts in: most texts
 * fit in one, and then nothing is allocated at all). */
typedef struct {
    char *data;
    size_t size;
    size_t capacity;
    int owned;
} Buffer;

/* A buffer that starts in ``storage`` (an array). */
#define BUFFER_IN(storage) {(storage), 0, sizeof(storage), 0}

static inline int
buffer_reserve(Buffer *buffer, size_t more)
{
    if (buffer->size + more <= buffer->capacity) {
        return 0;
    }
    size_t capacity = (buffer->size + more) * 2 + 64;
    char *data = buffer->owned ? PyMem_Realloc(buffer->data, capacity) : PyMem_Malloc(capacity);
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    if (!buffer->owned && buffer->size) {
        memcpy(data, buffer->data, buffer->size);
    }
    buffer->data = data;
    buffer->capacity = capacity;
    buffer->owned = 1;
    return 0;
}

/* Give back what the buffer allocated. */
static inline void
buffer_free(Buffer *buffer)
{
    if (buffer->owned) {
        PyMem_Free(buffer->data);
    }
}

static inline int
buffer_add(Buffer *buffer, const char *text, size_t size)
{
    if (buffer_reserve(buffer, size) < 0) {
        return -1;
    }
    memcpy(buffer->data + buffer->size, text, size);
    buffer->size += size;
    return 0;
}

/* "00" to "99": put_int writes two digits per division (a recorded event's time is a number of ~10 digits). */
static const char put_int_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Write ``value`` in decimal at ``out``; returns the number of characters (snprintf is several times slower). */
static inline int
put_int(char *out, long long value)
{
    char digits[24];
    char *end = digits + sizeof(digits), *start = end;
    unsigned long long magnitude = value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;
    while (magnitude >= 100) {
        size_t pair = (size_t)(magnitude % 100) * 2;
        magnitude /= 100;
        start -= 2;
        memcpy(start, put_int_pairs + pair, 2);
    }
    if (magnitude >= 10) {
        start -= 2;
        memcpy(start, put_int_pairs + magnitude * 2, 2);
    }
    else {
        *--start = (char)('0' + magnitude);
    }
    int size = 0;
    if (value < 0) {
        out[size++] = '-';
    }
    memcpy(out + size, start, (size_t)(end - start));
    return size + (int)(end - start);
}

#endif
