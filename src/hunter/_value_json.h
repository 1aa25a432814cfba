/* A recorded value's text, in C, where it is certain without running the program's code (see _value_json.c). */
#ifndef HUNTER_VALUE_JSON_H
#define HUNTER_VALUE_JSON_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "_buffer.h"

/* What hunter.record.writer's json_text makes of ``value`` with ``limit`` (a new str), for exact builtin scalars,
 * flat dicts, lists and tuples of them, exception events' args of builtin exceptions with such args, and instances
 * shown by type and address (``address_only``: the Python text's cache of classes, or NULL); None (a new reference)
 * for anything else, and for a repr that failed: the Python path decides those. NULL only when memory ran out. */
PyObject *value_json(PyObject *value, Py_ssize_t limit, PyObject *address_only);

/* Set up what value_json needs once (at the module's import); -1 with an exception. */
int value_json_init(void);

/* value_json's text appended to ``out``. 1: appended; 0: not a value it takes (nothing appended); -1: failed. */
int put_value_json(Buffer *out, PyObject *value, Py_ssize_t limit, PyObject *address_only);

#endif
