/* A recorded value's text in C: what hunter.record.writer's json_text makes of a value (the repr a printer shows,
 * cut to the limit as hunter.util.shorten cuts it, as a JSON string escaped as json.encoder's
 * encode_basestring_ascii escapes it), for the values where that text is certain without asking the program:
 * exact str, int, float, bool, bytes and None, and dicts, lists and tuples that hold only those (their reprs are
 * CPython's own C code, and safe_repr shows them as repr() does); an exception event's ``(type, value,
 * traceback)`` of one of Python's own exception classes with such args (safe_repr shows its class, its args and the
 * traceback's address); the instances safe_repr shows by their type and address (the program's own classes).
 *
 * Arguments and return values are mostly such values, and their texts were most of a recording's cost with values.
 * The repr of an ASCII str, a small int and a container of those is written here (two quick passes over the bytes,
 * no objects made in between); other reprs are CPython's. Anything else is left to the Python function, which makes
 * the same text (tests/test_speedups.py compares the two).
 */
#include "_value_json.h"

#include "_buffer.h"

#include <stdint.h>
#include <stdio.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* json_text shows ints in this range without cutting them (its fast path for the small numbers most arguments are) */
#define SMALL_INT 1000000000000000LL

static const char hex_digits[] = "0123456789abcdef";

/* "__module__", interned once (value_json_init) */
static PyObject *s_module;

int
value_json_init(void)
{
    s_module = PyUnicode_InternFromString("__module__");
    return s_module == NULL ? -1 : 0;
}

#if !defined(__SSE2__)
#define EVERY_BYTE 0x0101010101010101ULL
#define HIGH_BITS 0x8080808080808080ULL

/* Non-zero when a byte of ``word`` is below ``n`` (at most 128) or is 128 or more. */
static inline uint64_t
bytes_below_or_high(uint64_t word, unsigned n)
{
    return ((word - EVERY_BYTE * n) & ~word & HIGH_BITS) | (word & HIGH_BITS);
}

/* Non-zero when a byte of ``word`` is ``c``. */
static inline uint64_t
bytes_equal(uint64_t word, unsigned char c)
{
    uint64_t differences = word ^ (EVERY_BYTE * c);
    return (differences - EVERY_BYTE) & ~differences & HIGH_BITS;
}
#endif

/* -- finding the characters that need escaping, sixteen (SSE2) or eight bytes at a time ------------------- */

/* Where the first character of ``data[start:stop]`` is that is not printable ASCII, or is a backslash or ``quote``;
 * ``stop`` if none is. With a double quote: the text JSON keeps as it is; with a single quote: the text of a str that
 * its repr keeps as it is, in single quotes. A recorded value's text is scanned twice (its repr, then as JSON), and
 * the scan was most of what a 300-character value cost: it looks at many bytes per step. */
static Py_ssize_t
first_to_escape(const Py_UCS1 *data, Py_ssize_t start, Py_ssize_t stop, unsigned char quote)
{
    Py_ssize_t index = start;
#if defined(__SSE2__)
    /* (every x86-64 has SSE2. A signed compare with ' ' is true both for control characters and for bytes of 128 or
     * more, which are negative as signed bytes: one compare for the two) */
    const __m128i space = _mm_set1_epi8(' '), del = _mm_set1_epi8(0x7f), backslash = _mm_set1_epi8('\\');
    const __m128i quotes = _mm_set1_epi8((char)quote);
    for (; index + 16 <= stop; index += 16) {
        __m128i chunk = _mm_loadu_si128((const __m128i *)(data + index));
        __m128i found = _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(chunk, space), _mm_cmpeq_epi8(chunk, del)),
                                     _mm_or_si128(_mm_cmpeq_epi8(chunk, backslash), _mm_cmpeq_epi8(chunk, quotes)));
        int mask = _mm_movemask_epi8(found);
        if (mask) {
            return index + __builtin_ctz((unsigned)mask);
        }
    }
#else
    for (; index + 8 <= stop; index += 8) {
        uint64_t word;
        memcpy(&word, data + index, 8);
        if (bytes_below_or_high(word, ' ') | bytes_equal(word, 0x7f) | bytes_equal(word, '\\') |
            bytes_equal(word, quote)) {
            break; /* (one of these eight: the loop below finds it) */
        }
    }
#endif
    for (; index < stop; index++) {
        Py_UCS1 c = data[index];
        if (c < ' ' || c > '~' || c == '\\' || c == quote) {
            return index;
        }
    }
    return stop;
}

/* An exact builtin scalar: its repr runs none of the program's code. */
static int
is_plain(PyObject *value)
{
    PyTypeObject *type = Py_TYPE(value);
    return type == &PyUnicode_Type || type == &PyLong_Type || type == &PyFloat_Type || type == &PyBool_Type ||
           type == &PyBytes_Type || value == Py_None;
}

/* A plain scalar, or an exact dict, list or tuple of plain scalars only. */
static int
is_flat(PyObject *value)
{
    PyTypeObject *type = Py_TYPE(value);
    if (type == &PyList_Type || type == &PyTuple_Type) {
        PyObject **items = PySequence_Fast_ITEMS(value);
        for (Py_ssize_t index = 0; index < PySequence_Fast_GET_SIZE(value); index++) {
            if (!is_plain(items[index])) {
                return 0;
            }
        }
        return 1;
    }
    if (type == &PyDict_Type) {
        Py_ssize_t position = 0;
        PyObject *key, *item;
        while (PyDict_Next(value, &position, &key, &item)) {
            if (!is_plain(key) || !is_plain(item)) {
                return 0;
            }
        }
        return 1;
    }
    return is_plain(value);
}

/* An exception as an exception event's arg holds it, ``(type, value, traceback)``, where safe_repr's text of it is
 * certain: the type is one of Python's own exception classes (a static type of builtins: its args are the stored
 * ones, its name is its tp_name), the value is of exactly that type with flat args, the traceback None or one. */
static int
is_exception_triple(PyObject *value)
{
    if (Py_TYPE(value) != &PyTuple_Type || PyTuple_GET_SIZE(value) != 3) {
        return 0;
    }
    PyObject *type = PyTuple_GET_ITEM(value, 0), *exception = PyTuple_GET_ITEM(value, 1);
    PyObject *traceback = PyTuple_GET_ITEM(value, 2);
    if (Py_TYPE(type) != &PyType_Type || !PyExceptionClass_Check(type) ||
        (((PyTypeObject *)type)->tp_flags & Py_TPFLAGS_HEAPTYPE) || strchr(((PyTypeObject *)type)->tp_name, '.') ||
        (PyObject *)Py_TYPE(exception) != type || (traceback != Py_None && !PyTraceBack_Check(traceback))) {
        return 0;
    }
    PyObject *args = ((PyBaseExceptionObject *)exception)->args;
    if (args == NULL || Py_TYPE(args) != &PyTuple_Type) {
        return 0;
    }
    for (Py_ssize_t index = 0; index < PyTuple_GET_SIZE(args); index++) {
        if (!is_flat(PyTuple_GET_ITEM(args, index))) {
            return 0;
        }
    }
    return 1;
}

/* Append an ASCII str's characters. */
static int
buffer_add_ascii(Buffer *out, PyObject *text)
{
    return buffer_add(out, (const char *)PyUnicode_1BYTE_DATA(text), (size_t)PyUnicode_GET_LENGTH(text));
}

/* The repr of an ASCII str, as CPython writes it: in single quotes, unless it holds a single quote and no double
 * one; the quote it is in, backslashes and control characters escaped. */
static int
put_str_repr(Buffer *out, PyObject *value)
{
    const Py_UCS1 *data = PyUnicode_1BYTE_DATA(value);
    size_t size = (size_t)PyUnicode_GET_LENGTH(value);
    if (first_to_escape(data, 0, (Py_ssize_t)size, '\'') == (Py_ssize_t)size) {
        /* (most are: in single quotes as they are) */
        if (buffer_reserve(out, size + 2) < 0) {
            return -1;
        }
        out->data[out->size] = '\'';
        memcpy(out->data + out->size + 1, data, size);
        out->data[out->size + 1 + size] = '\'';
        out->size += size + 2;
        return 0;
    }
    char quote = memchr(data, '\'', size) != NULL && memchr(data, '"', size) == NULL ? '"' : '\'';
    if (buffer_reserve(out, size * 4 + 2) < 0) {
        return -1;
    }
    char *end = out->data + out->size;
    *end++ = quote;
    for (size_t index = 0; index < size; index++) {
        Py_UCS1 c = data[index];
        if (c == (Py_UCS1)quote || c == '\\') {
            *end++ = '\\';
            *end++ = (char)c;
        }
        else if (c == '\t' || c == '\n' || c == '\r') {
            *end++ = '\\';
            *end++ = c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
        }
        else if (c < ' ' || c == 0x7f) {
            *end++ = '\\';
            *end++ = 'x';
            *end++ = hex_digits[c >> 4];
            *end++ = hex_digits[c & 0xf];
        }
        else {
            *end++ = (char)c;
        }
    }
    *end++ = quote;
    out->size = (size_t)(end - out->data);
    return 0;
}

/* Append a plain scalar's repr. 1: written; 0: it isn't ASCII (nothing written); -1: failed. */
static int
put_scalar_repr(Buffer *out, PyObject *value)
{
    PyTypeObject *type = Py_TYPE(value);
    if (type == &PyUnicode_Type) {
        if (!PyUnicode_IS_ASCII(value)) {
            return 0;
        }
        return put_str_repr(out, value) < 0 ? -1 : 1;
    }
    if (value == Py_None || value == Py_True || value == Py_False) {
        const char *name = value == Py_None ? "None" : value == Py_True ? "True" : "False";
        return buffer_add(out, name, strlen(name)) < 0 ? -1 : 1;
    }
    if (type == &PyLong_Type) {
        int overflow;
        long long number = PyLong_AsLongLongAndOverflow(value, &overflow);
        if (number == -1 && PyErr_Occurred()) {
            return -1;
        }
        if (!overflow) {
            if (buffer_reserve(out, 24) < 0) {
                return -1;
            }
            out->size += (size_t)put_int(out->data + out->size, number);
            return 1;
        }
    }
    /* (a float, bytes or a big int: CPython's repr, ASCII; the repr of an int too big to print fails) */
    PyObject *repr = PyObject_Repr(value);
    if (repr == NULL) {
        return -1;
    }
    int written = 0;
    if (PyUnicode_IS_ASCII(repr)) {
        written = buffer_add_ascii(out, repr) < 0 ? -1 : 1;
    }
    Py_DECREF(repr);
    return written;
}

/* Append a flat value's repr (``is_flat``), as dict, list and tuple reprs lay out their items. 1: written; 0: some of
 * it isn't ASCII (the caller asks CPython for the repr of the whole); -1: failed. */
static int
put_repr(Buffer *out, PyObject *value)
{
    PyTypeObject *type = Py_TYPE(value);
    int written = 1;
    if (type == &PyDict_Type) {
        Py_ssize_t position = 0;
        PyObject *key, *item;
        int first = 1;
        written = buffer_add(out, "{", 1) < 0 ? -1 : 1;
        while (written > 0 && PyDict_Next(value, &position, &key, &item)) {
            if ((!first && buffer_add(out, ", ", 2) < 0) || (written = put_scalar_repr(out, key)) <= 0 ||
                buffer_add(out, ": ", 2) < 0) {
                return written > 0 ? -1 : written;
            }
            written = put_scalar_repr(out, item);
            first = 0;
        }
        return written > 0 ? (buffer_add(out, "}", 1) < 0 ? -1 : 1) : written;
    }
    if (type == &PyList_Type || type == &PyTuple_Type) {
        int list = type == &PyList_Type;
        Py_ssize_t count = PySequence_Fast_GET_SIZE(value);
        PyObject **items = PySequence_Fast_ITEMS(value);
        written = buffer_add(out, list ? "[" : "(", 1) < 0 ? -1 : 1;
        for (Py_ssize_t index = 0; written > 0 && index < count; index++) {
            written = index && buffer_add(out, ", ", 2) < 0 ? -1 : put_scalar_repr(out, items[index]);
        }
        if (written > 0 && !list && count == 1) {
            written = buffer_add(out, ",", 1) < 0 ? -1 : 1;
        }
        return written > 0 ? (buffer_add(out, list ? "]" : ")", 1) < 0 ? -1 : 1) : written;
    }
    return put_scalar_repr(out, value);
}

/* Append an exception triple's text (``is_exception_triple``) as safe_repr writes it:
 * "(<class 'Name'>, Name(arg, ...), None)", a traceback as its repr (its type and address). 1: written; 0: some of
 * it isn't ASCII; -1: failed. */
static int
put_exception_repr(Buffer *out, PyObject *value)
{
    const char *name = Py_TYPE(PyTuple_GET_ITEM(value, 1))->tp_name;
    PyObject *args = ((PyBaseExceptionObject *)PyTuple_GET_ITEM(value, 1))->args;
    size_t size = strlen(name);
    int written = buffer_add(out, "(<class '", 9) < 0 || buffer_add(out, name, size) < 0 ||
                          buffer_add(out, "'>, ", 4) < 0 || buffer_add(out, name, size) < 0 ||
                          buffer_add(out, "(", 1) < 0
                      ? -1
                      : 1;
    for (Py_ssize_t index = 0; written > 0 && index < PyTuple_GET_SIZE(args); index++) {
        written = index && buffer_add(out, ", ", 2) < 0 ? -1 : put_repr(out, PyTuple_GET_ITEM(args, index));
    }
    if (written > 0) {
        written = buffer_add(out, "), ", 3) < 0 ? -1 : put_scalar_repr(out, PyTuple_GET_ITEM(value, 2));
    }
    return written > 0 ? (buffer_add(out, ")", 1) < 0 ? -1 : 1) : written;
}

/* Write the characters ``start``..``stop`` of a text (``kind``, ``data``) at ``end`` escaped as
 * encode_basestring_ascii escapes them: printable ASCII as it is (but for the quote and the backslash), the rest as
 * \uXXXX escapes (12 characters at most for one, a surrogate pair's two); returns the end of what it wrote. */
static char *
escape_into(char *end, int kind, const void *data, Py_ssize_t start, Py_ssize_t stop)
{
    for (Py_ssize_t index = start; index < stop; index++) {
        if (kind == PyUnicode_1BYTE_KIND) { /* (a run that needs no escapes, copied whole) */
            Py_ssize_t run_end = first_to_escape(data, index, stop, '"');
            memcpy(end, (const Py_UCS1 *)data + index, (size_t)(run_end - index));
            end += run_end - index;
            if ((index = run_end) == stop) {
                break;
            }
        }
        Py_UCS4 c = PyUnicode_READ(kind, data, index);
        if (c >= ' ' && c <= '~' && c != '\\' && c != '"') {
            *end++ = (char)c;
            continue;
        }
        *end++ = '\\';
        const char *short_form = c == '\\' ? "\\" : c == '"' ? "\"" : c == '\b' ? "b" : c == '\f' ? "f"
                                 : c == '\n' ? "n" : c == '\r' ? "r" : c == '\t' ? "t" : NULL;
        if (short_form != NULL) {
            *end++ = *short_form;
            continue;
        }
        if (c >= 0x10000) { /* beyond the BMP: a UTF-16 surrogate pair */
            Py_UCS4 high = 0xd800 | ((c - 0x10000) >> 10);
            *end++ = 'u';
            for (int shift = 12; shift >= 0; shift -= 4) {
                *end++ = hex_digits[(high >> shift) & 0xf];
            }
            *end++ = '\\';
            c = 0xdc00 | ((c - 0x10000) & 0x3ff);
        }
        *end++ = 'u';
        for (int shift = 12; shift >= 0; shift -= 4) {
            *end++ = hex_digits[(c >> shift) & 0xf];
        }
    }
    return end;
}

/* Append a repr's text (``size`` characters of ``kind``, ``data``) as json_text gives it: longer than ``limit``, its
 * first and last ``limit / 2`` characters around " [...] " (shorten); escaped; in double quotes. */
static int
put_json_string(Buffer *out, int kind, const void *data, Py_ssize_t size, Py_ssize_t limit)
{
    Py_ssize_t half = limit / 2;
    int cut = size > limit;
    Py_ssize_t head = cut ? half : size, tail = cut ? size - half : size;
    /* (room for the longest escapes: "\u00XX" for a character below 256, a surrogate pair's two beyond) */
    size_t most = (size_t)(head + size - tail) * (kind == PyUnicode_1BYTE_KIND ? 6 : 12) + 2 + 7;
    if (buffer_reserve(out, most) < 0) {
        return -1;
    }
    char *end = out->data + out->size;
    *end++ = '"';
    end = escape_into(end, kind, data, 0, head);
    if (cut) {
        memcpy(end, " [...] ", 7);
        end = escape_into(end + 7, kind, data, tail, size);
    }
    *end++ = '"';
    out->size = (size_t)(end - out->data);
    return 0;
}

/* ``put_json_string`` of a str's text. */
static int
put_json_of(Buffer *out, PyObject *text, Py_ssize_t limit)
{
    return put_json_string(out, PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text), limit);
}

/* Append a small int, a bool or None in quotes, uncut (json_text's fast path). 1: written; 0: not one of those. */
static int
put_small_json(Buffer *out, PyObject *value)
{
    if (value != Py_None && value != Py_True && value != Py_False) {
        if (Py_TYPE(value) != &PyLong_Type) {
            return 0;
        }
        int overflow;
        long long number = PyLong_AsLongLongAndOverflow(value, &overflow);
        if (overflow || number <= -SMALL_INT || number >= SMALL_INT) {
            return 0;
        }
    }
    /* (their reprs: put_scalar_repr's, without the cut and escapes they never need) */
    return buffer_add(out, "\"", 1) < 0 || put_scalar_repr(out, value) < 0 || buffer_add(out, "\"", 1) < 0 ? -1 : 1;
}

/* Append an ASCII str whose repr is itself in single quotes (nothing in it to escape) and fits the limit, as
 * JSON: its double quotes are all there can be to escape. 1: written; 0: not such a str. */
static int
put_quoted_str_json(Buffer *out, PyObject *value, Py_ssize_t limit)
{
    if (Py_TYPE(value) != &PyUnicode_Type || !PyUnicode_IS_ASCII(value)) {
        return 0;
    }
    const Py_UCS1 *data = PyUnicode_1BYTE_DATA(value);
    Py_ssize_t size = PyUnicode_GET_LENGTH(value);
    if (size + 2 > limit || first_to_escape(data, 0, size, '\'') != size) {
        return 0;
    }
    if (buffer_reserve(out, (size_t)size * 2 + 4) < 0) {
        return -1;
    }
    char *end = out->data + out->size;
    memcpy(end, "\"'", 2);
    end = escape_into(end + 2, PyUnicode_1BYTE_KIND, data, 0, size);
    memcpy(end, "'\"", 2);
    out->size = (size_t)(end + 2 - out->data);
    return 1;
}

/* object.__repr__ of an instance of a class defined in Python, written as CPython's object_repr writes it
 * ("<module.qualname object at 0x...>", the address as PyUnicode_FromFormat's %p writes it) without its format
 * machinery. 1: written; 0: another class, or names beyond ASCII (object.__repr__ itself is asked); -1: failed. */
static int
put_object_repr(Buffer *out, PyObject *value)
{
    PyTypeObject *type = Py_TYPE(value);
    if (!(type->tp_flags & Py_TPFLAGS_HEAPTYPE) || type->tp_dict == NULL) {
        return 0;
    }
    PyObject *module = PyDict_GetItemWithError(type->tp_dict, s_module);
    PyObject *name = ((PyHeapTypeObject *)type)->ht_qualname;
    if (module == NULL || !PyUnicode_CheckExact(module) || !PyUnicode_IS_ASCII(module) ||
        PyUnicode_CompareWithASCIIString(module, "builtins") == 0 || name == NULL || !PyUnicode_CheckExact(name) ||
        !PyUnicode_IS_ASCII(name)) {
        return PyErr_Occurred() ? -1 : 0;
    }
    char address[64];
    int size = snprintf(address, sizeof(address) - 2, "%p", (void *)value);
    if (size < 2 || size >= (int)sizeof(address) - 2) {
        return 0;
    }
    if (address[1] == 'X') { /* (%p is ill-defined: CPython makes it start with 0x, as here) */
        address[1] = 'x';
    }
    else if (address[1] != 'x') {
        memmove(address + 2, address, (size_t)size + 1);
        address[0] = '0';
        address[1] = 'x';
        size += 2;
    }
    return buffer_add(out, "<", 1) < 0 || buffer_add_ascii(out, module) < 0 || buffer_add(out, ".", 1) < 0 ||
                   buffer_add_ascii(out, name) < 0 || buffer_add(out, " object at ", 11) < 0 ||
                   buffer_add(out, address, (size_t)size) < 0 || buffer_add(out, ">", 1) < 0
               ? -1
               : 1;
}

/* Append the text of a value that safe_repr shows as object.__repr__ does (its type and address): an instance of a
 * class of another metaclass than ``type`` (asking the metaclass nothing), or of a class ``address_only`` (the
 * Python text's cache, class -> whether it is so) says is so. 1: written; 0: not such a value (or a class not
 * met yet: the Python text decides it, and notes it); -1: failed. */
static int
put_address_json(Buffer *out, PyObject *value, Py_ssize_t limit, PyObject *address_only)
{
#ifdef Py_GIL_DISABLED
    return 0; /* (the dict lookups here lend references that another thread could take away: the Python text) */
#endif
    PyTypeObject *type = Py_TYPE(value);
    if (Py_TYPE(type) == &PyType_Type) {
        /* (a class of metaclass type hashes and compares by identity: the lookup runs none of its code) */
        PyObject *known = address_only != NULL && PyDict_CheckExact(address_only)
                              ? PyDict_GetItemWithError(address_only, (PyObject *)type)
                              : NULL;
        if (known != Py_True) {
            return known == NULL && PyErr_Occurred() ? -1 : 0;
        }
    }
    char storage[256];
    Buffer repr = BUFFER_IN(storage);
    int written = put_object_repr(&repr, value);
    int result;
    if (written > 0) {
        result = put_json_string(out, PyUnicode_1BYTE_KIND, repr.data, (Py_ssize_t)repr.size, limit);
    }
    else {
        PyObject *text = written == 0 ? PyBaseObject_Type.tp_repr(value) : NULL; /* (object.__repr__ itself) */
        result = text != NULL ? put_json_of(out, text, limit) : -1;
        Py_XDECREF(text);
    }
    buffer_free(&repr);
    return result < 0 ? -1 : 1;
}

int
put_value_json(Buffer *out, PyObject *value, Py_ssize_t limit, PyObject *address_only)
{
    if (limit < 2) {
        return 0;
    }
    int exception = 0;
    if (!is_flat(value) && !(exception = is_exception_triple(value))) {
        int written = put_address_json(out, value, limit, address_only);
        if (written < 0 && !PyErr_ExceptionMatches(PyExc_MemoryError)) {
            PyErr_Clear(); /* (the Python text says what it says of it) */
            written = 0;
        }
        return written;
    }
    int written = exception ? 0 : put_small_json(out, value);
    if (written == 0 && !exception) {
        written = put_quoted_str_json(out, value, limit);
    }
    if (written != 0) {
        return written;
    }
    size_t mark = out->size;
    char storage[1024];
    Buffer repr = BUFFER_IN(storage);
    int result = -1;
    written = exception ? put_exception_repr(&repr, value) : put_repr(&repr, value);
    if (written > 0) {
        result = put_json_string(out, PyUnicode_1BYTE_KIND, repr.data, (Py_ssize_t)repr.size, limit);
    }
    else if (written == 0 && !exception) {
        PyObject *text = PyObject_Repr(value); /* (CPython's, for text beyond ASCII) */
        if (text != NULL) {
            result = put_json_of(out, text, limit);
            Py_DECREF(text);
        }
    }
    buffer_free(&repr);
    if (result == 0) {
        return 1;
    }
    out->size = mark;
    if (PyErr_ExceptionMatches(PyExc_MemoryError)) {
        return -1;
    }
    PyErr_Clear(); /* (a repr that failed, an int too big to print: the Python path says what it says of it) */
    return 0;
}

PyObject *
value_json(PyObject *value, Py_ssize_t limit, PyObject *address_only)
{
    char storage[4096];
    Buffer out = BUFFER_IN(storage);
    int written = put_value_json(&out, value, limit, address_only);
    PyObject *result = written < 0    ? NULL
                       : written == 0 ? Py_NewRef(Py_None)
                                      : PyUnicode_New((Py_ssize_t)out.size, 127);
    if (written > 0 && result != NULL) {
        memcpy(PyUnicode_1BYTE_DATA(result), out.data, out.size);
    }
    buffer_free(&out);
    return result;
}
