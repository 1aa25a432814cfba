/* hunter's compiled hot paths, optional: without them the Python code does the same work, slower.
 *
 * render(): a trace file's raw records as lines (hunter.record.writer.Recorder._render's loop), on every Python.
 *
 * json_text(): a recorded value's text, for the plain values it is certain of (_value_json.c), on every Python.
 *
 * raw_callback() (CPython 3.12+): a sys.monitoring callback that stands in for one of the monitoring backend's
 * Python callbacks (PY_START/PY_RESUME or PY_RETURN/PY_YIELD) while a trace file's recording takes the raw
 * path (see hunter/backends/monitoring/_raw.py and hunter/_engine/_recording.py). It takes the common case itself: a
 * code object recorded raw, in a thread whose recording is set up, whose caller (for a call) or whose own frame
 * (for a return) is the thread's innermost recorded call. There it does what the Python steps do (count the call,
 * take the time, keep the frame chain, make the record's text, append it, write what is due) and makes the same
 * records. Anything else (a code object seen for the first time, silent frames, a thread gate, a renamed thread, a
 * new file, a frame chain to walk, an unexpected object) goes to the Python callback untouched: the fast path
 * decides before it changes anything.
 *
 * The per-code, per-thread and per-site records are Python objects with __slots__ (CodeInfo, _ThreadState,
 * _Site): their slots are read at the offsets their member descriptors give, after an exact type check.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "_buffer.h"
#include "_value_json.h"

/* Append a str's UTF-8 text (a record's texts are ASCII JSON: their UTF-8 is their own storage, not a copy). */
static int
buffer_add_str(Buffer *buffer, PyObject *text)
{
    Py_ssize_t size;
    const char *data = PyUnicode_AsUTF8AndSize(text, &size);
    if (data == NULL) {
        return -1;
    }
    return buffer_add(buffer, data, (size_t)size);
}

/* The buffer as a str (it is reused for the next line). */
static PyObject *
buffer_str(Buffer *buffer)
{
    return PyUnicode_DecodeUTF8(buffer->data, (Py_ssize_t)buffer->size, NULL);
}

/* A Python int as a long long, or -1 with an exception. Times (ns) are ints of two 30-bit digits, which
 * PyLong_AsLongLong converts through a byte array before 3.13; this reads their digits. */
static long long
as_long_long(PyObject *number)
{
    int overflow;
    long long value = PyLong_AsLongLongAndOverflow(number, &overflow);
    if (overflow) {
        PyErr_SetString(PyExc_OverflowError, "a number beyond a long long");
        return -1;
    }
    return value;
}

/* ``number`` (an int) as a long long, converted only when it isn't ``*held``, the int converted last, whose value
 * ``*value`` keeps; ``*held`` is owned (so that no other int takes its address). -1 with an exception. */
static long long
held_long_long(PyObject *number, PyObject **held, long long *value)
{
    if (number != *held) {
        long long converted = as_long_long(number);
        if (converted == -1 && PyErr_Occurred()) {
            return -1;
        }
        Py_XSETREF(*held, Py_NewRef(number));
        *value = converted;
    }
    return *value;
}

/* -- render ----------------------------------------------------------------------------------------------- */

/* The start of an event's line, "[kind,time,thread," (``kind`` its JSON: a number, or a callers record's tag), into
 * ``out`` (room for 80 characters); the number of characters written. */
static int
put_line_head(char *out, const char *kind, long long since_t0, long long ref)
{
    int size = 0;
    out[size++] = '[';
    size_t kind_size = strlen(kind);
    memcpy(out + size, kind, kind_size);
    size += (int)kind_size;
    out[size++] = ',';
    size += put_int(out + size, since_t0);
    out[size++] = ',';
    size += put_int(out + size, ref);
    out[size++] = ',';
    return size;
}

/* One record's line into ``out``: "[kind,time,thread,text]\n". */
static int
render_line(Buffer *buffer, const char *kind, long long since_t0, long long ref, PyObject *text, PyObject *out)
{
    char head[80];
    int size = put_line_head(head, kind, since_t0, ref);
    buffer->size = 0;
    if (buffer_add(buffer, head, (size_t)size) < 0 || buffer_add_str(buffer, text) < 0 ||
        buffer_add(buffer, "]\n", 2) < 0) {
        return -1;
    }
    PyObject *line = buffer_str(buffer);
    if (line == NULL) {
        return -1;
    }
    PyObject *done = PyObject_CallOneArg(out, line);
    Py_DECREF(line);
    Py_XDECREF(done);
    return done == NULL ? -1 : 0;
}

static PyObject *
render(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 8 || !PyList_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError,
                        "render(records, ref, t0, return_marker, thread_marker, callers_marker, out, entries)");
        return NULL;
    }
    PyObject *records = args[0], *marker = args[3], *thread_marker = args[4], *callers_marker = args[5];
    PyObject *out = args[6], *entries = args[7];
    PyObject *ref_obj = Py_NewRef(args[1]);
    long long ref = PyLong_AsLongLong(ref_obj);
    long long t0 = as_long_long(args[2]);
    if (PyErr_Occurred()) {
        Py_DECREF(ref_obj);
        return NULL;
    }
    Buffer buffer = {NULL, 0, 0, 0};
    for (Py_ssize_t index = 0; index < PyList_GET_SIZE(records); index++) {
        PyObject *record = Py_NewRef(PyList_GET_ITEM(records, index));
        int failed = 1;
        if (PyUnicode_CheckExact(record)) {
            /* an event's whole line, made by the compiled callbacks */
            PyObject *done = PyObject_CallOneArg(out, record);
            failed = done == NULL;
            Py_XDECREF(done);
        }
        else if (!PyTuple_CheckExact(record) || PyTuple_GET_SIZE(record) != 3) {
            PyErr_SetString(PyExc_TypeError, "a raw record is (what, ns, text) or a line");
        }
        else {
            PyObject *what = PyTuple_GET_ITEM(record, 0), *ns = PyTuple_GET_ITEM(record, 1);
            PyObject *text = PyTuple_GET_ITEM(record, 2);
            if (what == Py_None || what == thread_marker) {
                /* a code entry (or a source); or the thread renamed: its entry, and its ref (in ``ns``) from here on */
                PyObject *done = PyObject_CallOneArg(entries, text);
                failed = done == NULL;
                Py_XDECREF(done);
                if (!failed && what == thread_marker) {
                    ref = PyLong_AsLongLong(ns);
                    failed = ref == -1 && PyErr_Occurred();
                    Py_SETREF(ref_obj, Py_NewRef(ns));
                }
            }
            else {
                long long at = as_long_long(ns);
                const char *kind = what == marker ? "2" : what == callers_marker ? "\"k\"" : "0";
                failed = (at == -1 && PyErr_Occurred()) || render_line(&buffer, kind, at - t0, ref, text, out) < 0;
            }
        }
        Py_DECREF(record);
        if (failed) {
            buffer_free(&buffer);
            Py_DECREF(ref_obj);
            return NULL;
        }
    }
    buffer_free(&buffer);
    return ref_obj;
}

/* (Not on free-threaded builds: the fast path reads and shrinks lists that other threads may change.) */
#if PY_VERSION_HEX >= 0x030C0000 && !defined(Py_GIL_DISABLED)
#define HAS_RAW_CALLBACKS 1

/* -- slots of hunter's records ---------------------------------------------------------------------------- */

/* The offset of slot ``name`` of ``type`` (a class with __slots__), or -1 with an exception. */
static Py_ssize_t
slot_offset(PyTypeObject *type, const char *name)
{
    PyObject *descriptor = PyObject_GetAttrString((PyObject *)type, name);
    if (descriptor == NULL) {
        return -1;
    }
    Py_ssize_t offset = -1;
    if (Py_IS_TYPE(descriptor, &PyMemberDescr_Type) &&
        ((PyMemberDescrObject *)descriptor)->d_member->type == Py_T_OBJECT_EX) {
        offset = ((PyMemberDescrObject *)descriptor)->d_member->offset;
    }
    else {
        PyErr_Format(PyExc_TypeError, "%s.%s is not a slot", type->tp_name, name);
    }
    Py_DECREF(descriptor);
    return offset;
}

/* A slot's value (borrowed; NULL when unset). */
static inline PyObject *
slot(PyObject *obj, Py_ssize_t offset)
{
    return *(PyObject **)((char *)obj + offset);
}

/* Attribute names, interned once. */
static PyObject *s_state, *s__name, *s__owner, *s_call, *s_return, *s_exception, *s_caller_pairs, *s_program_runner;
static PyObject *one;

enum { CALL_EVENT, RETURN_EVENT, RAISE_EVENT, STOP_EVENT };

/* A code object's CodeInfo, cached by the code's address. The code is only compared (not owned: a cache must not
 * keep code alive); the CodeInfo's weak reference to its code tells that the entry is still that code's. Both caches
 * are two-way: a bucket is two neighbouring entries, the newest first (two keys that meet in one bucket take turns
 * otherwise, and each then misses every time). */
#define INFO_CACHE_SIZE 64
typedef struct {
    PyObject *code;
    PyObject *info;
} InfoSlot;

/* A line, by code object and instruction offset: finding a line scans the code's line table from its start. The
 * code is compared, and held by a weak reference (owned) that tells the entry is still that code's. */
#define LINE_CACHE_SIZE 128
typedef struct {
    PyObject *code;
    PyObject *code_ref;
    int offset;
    int line;
} LineSlot;

/* The first entry of a cache bucket, from an object's address (they are 16-byte aligned) and a number: both mixed
 * by multiplying with large odd constants, whose high bits depend on every bit of the key. */
static inline size_t
cache_index(const void *address, int number, size_t size)
{
    uint64_t value = ((uint64_t)(uintptr_t)address >> 4) * 0x9E3779B97F4A7C15ull;
    value ^= (uint64_t)(uint32_t)number * 0xC2B2AE3D27D4EB4Full;
    return (size_t)(value >> 40) & (size - 2);
}

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    int event; /* CALL_EVENT (PY_START, PY_RESUME), RETURN_EVENT (PY_RETURN, PY_YIELD), RAISE_EVENT, STOP_EVENT */
    int values;         /* the recorder records values (fixed for a recording: its file's header says so) */
    PyObject *fallback; /* the Python callback: whatever the fast path leaves */
    PyObject *infos;    /* id(code) -> CodeInfo (a dict) */
    PyObject *gate;     /* the thread gate (a set): the fast path needs it empty */
    PyObject *context;  /* counts calls */
    PyObject *recorder; /* hunter.record.writer.Recorder */
    PyObject *due;      /* RawSink.due(ns, frame, kind) */
    PyObject *text;     /* a value's text (with values) */
    Py_ssize_t limit;   /* the recorder's repr_limit, for value_json (0: ``text`` makes every value's text) */
    PyObject *address_only; /* the recorder's classes shown by type and address (a dict), for value_json */
    PyObject *missing;  /* an unbound argument's stand-in (with values) */
    PyObject *known;    /* id(frame) -> depth entry (a dict) that a leaving frame is taken out of, or None */
    PyObject *own_code; /* hunter._engine._own_code: its PROGRAM_RUNNER is the top of the program's callers */
    PyObject *owner;    /* the tracer: a recorder it is attached to counts a call's frames by its depths */
    PyObject *depths_base, *depths_known; /* its Depths' ``base`` and ``known`` (dicts; NULL: not counted here) */
    int records_callers;  /* the recorder writes callers records (a flight recorder doesn't) */
    Py_ssize_t max_callers; /* how many callers a callers record lists at most */
    PyTypeObject *info_type, *state_type, *site_type;
    Py_ssize_t batch;
    /* slot offsets: CodeInfo's, _ThreadState's, _Site's */
    Py_ssize_t info_raw_site, info_call_fields, info_silent, info_stdlib, info_raw_exceptions;
    Py_ssize_t state_thread, state_raw_name, state_frames, state_records, state_ref, state_top_callers;
    Py_ssize_t site_table, site_ref, site_names, site_optimized, info_code_ref;
    /* the recorder's (``local``, ``due_ns``, ``_table``, ``_t0``) and the context's (``calls``): read per event */
    Py_ssize_t recorder_local, recorder_due_ns, recorder_table, recorder_t0, context_calls;
    unsigned char returns[256];    /* opcodes a frame returns normally through */
    unsigned char yields[256];     /* opcodes a frame suspends at (a yield; an await suspends at one too) */
    unsigned char resumes[256];    /* 3.13+: the RESUME after a yield, where a suspended frame says it is */
    unsigned char artificial[256]; /* opcodes of a StopIteration the program never sees (_compat) */
    /* Caches of what each event would otherwise look up in Python objects (see info_of, thread_state, frame_line). */
    InfoSlot info_cache[INFO_CACHE_SIZE];
    LineSlot line_cache[LINE_CACHE_SIZE];
    /* The recorder's ``_t0`` and ``due_ns`` last read (owned: no other int takes their address) and their values: times
     * are ints of two digits, which take the slow way through PyLong_AsLongLongAndOverflow, for every event. */
    PyObject *t0_held, *due_held;
    long long t0_value, due_value;
    unsigned long long cached_thread; /* PyThreadState_GetID of the thread whose state is cached */
    PyObject *cached_local;           /* the recorder's ``local`` the state was read from (owned) */
    PyObject *cached_state;           /* that thread's _ThreadState (owned) */
} RawCallback;

static long long
perf_counter_ns(void)
{
#if PY_VERSION_HEX >= 0x030D0000
    PyTime_t now;
    (void)PyTime_PerfCounterRaw(&now);
    return (long long)now;
#else
    return (long long)_PyTime_GetPerfCounter();
#endif
}

/* Whether the weak reference ``ref`` refers to ``object`` (alive). */
static int
refers_to(PyObject *ref, PyObject *object)
{
    if (ref == NULL || !PyWeakref_CheckRef(ref)) {
        return 0;
    }
#if PY_VERSION_HEX >= 0x030D0000
    PyObject *target;
    int alive = PyWeakref_GetRef(ref, &target);
    if (alive <= 0) {
        PyErr_Clear();
        return 0;
    }
    Py_DECREF(target);
    return target == object;
#else
    return PyWeakref_GetObject(ref) == object;
#endif
}

/* The CodeInfo of ``code`` (a new reference), or NULL (none yet, or not one: the Python callback decides). The map
 * (``id(code) -> CodeInfo``) is asked once per code object; the cache answers after that, as long as the CodeInfo
 * is still that code's (a code object that died may leave its address to another). */
static PyObject *
info_of(RawCallback *self, PyObject *code)
{
    InfoSlot *cached = &self->info_cache[cache_index(code, 0, INFO_CACHE_SIZE)];
    for (int way = 0; way < 2; way++) {
        if (cached[way].code == code && refers_to(slot(cached[way].info, self->info_code_ref), code)) {
            return Py_NewRef(cached[way].info);
        }
    }
    PyObject *key = PyLong_FromVoidPtr(code);
    if (key == NULL) {
        PyErr_Clear();
        return NULL;
    }
    PyObject *info = PyDict_GetItemWithError(self->infos, key);
    Py_DECREF(key);
    if (info == NULL || !Py_IS_TYPE(info, self->info_type)) {
        PyErr_Clear();
        return NULL;
    }
    Py_XDECREF(cached[1].info);
    cached[1] = cached[0];
    cached->code = code;
    cached->info = Py_NewRef(info);
    return Py_NewRef(info);
}

/* The current thread's _ThreadState (a new reference), when its recording is set up and (``check_name``: for a
 * call, as the Python path does) its thread was not renamed since (the Python path writes the new name first);
 * else NULL, no exception. A thread's state in one recorder's ``local`` is set once (Recorder._new_thread): the
 * last one read is kept with the thread's id and that ``local``, and a new ``local`` (a new file) reads it again. */
static PyObject *
thread_state(RawCallback *self, PyThreadState *tstate, int check_name)
{
    PyObject *local = Py_XNewRef(slot(self->recorder, self->recorder_local));
    if (local == NULL) {
        goto no_state;
    }
    unsigned long long thread_id = PyThreadState_GetID(tstate);
    PyObject *state;
    if (local == self->cached_local && thread_id == self->cached_thread) {
        state = Py_NewRef(self->cached_state);
        Py_DECREF(local);
    }
    else {
        state = PyObject_GetAttr(local, s_state);
        if (state == NULL || !Py_IS_TYPE(state, self->state_type)) {
            Py_XDECREF(state);
            Py_DECREF(local);
            goto no_state;
        }
        self->cached_thread = thread_id;
        Py_XSETREF(self->cached_local, local);
        Py_XSETREF(self->cached_state, Py_NewRef(state));
    }
    PyObject *thread = slot(state, self->state_thread);
    PyObject *frames = slot(state, self->state_frames), *records = slot(state, self->state_records);
    if (thread == NULL || frames == NULL || records == NULL || !PyList_CheckExact(frames) ||
        !PyList_CheckExact(records)) {
        goto no;
    }
    if (check_name && thread != Py_None) {
        PyObject *name = PyObject_GetAttr(thread, s__name);
        int same = name != NULL && name == slot(state, self->state_raw_name);
        Py_XDECREF(name);
        if (!same) {
            goto no;
        }
    }
    return state;
no:
    Py_DECREF(state);
no_state:
    PyErr_Clear();
    return NULL;
}

/* Whether ``site`` is a _Site with its entry in the recorder's current file (else the Python path writes it). */
static int
site_registered(RawCallback *self, PyObject *site)
{
    if (!Py_IS_TYPE(site, self->site_type)) {
        return 0;
    }
    PyObject *table = slot(self->recorder, self->recorder_table);
    return table != NULL && slot(site, self->site_table) == table && slot(site, self->site_ref) != NULL;
}

/* Append an event's line to the thread's records; write what is due as the Python steps do. 0, or -1 with an
 * exception.
 *
 * The line is whole (a str, which render passes on as it is), where the Python steps append a tuple that render
 * makes the line of: a tuple per event is a container the garbage collector counts, and a recording keeps a batch
 * of them alive, so that collections came every few hundred events; a str isn't one. */
static int
append_record(RawCallback *self, PyObject *records, long long ns, PyObject *line, PyFrameObject *frame,
              PyObject *kind)
{
    if (PyList_Append(records, line) < 0) {
        return -1;
    }
    PyObject *due_obj = slot(self->recorder, self->recorder_due_ns);
    /* (unset: due now, the Python step decides) */
    long long due_ns = due_obj ? held_long_long(due_obj, &self->due_held, &self->due_value) : 0;
    if (due_ns == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (ns < due_ns && PyList_GET_SIZE(records) < self->batch) {
        return 0;
    }
    PyObject *ns_obj = PyLong_FromLongLong(ns);
    PyObject *done = ns_obj ? PyObject_CallFunctionObjArgs(self->due, ns_obj, (PyObject *)frame, kind, NULL) : NULL;
    Py_XDECREF(ns_obj);
    Py_XDECREF(done);
    return done == NULL ? -1 : 0;
}

/* The start of an event's line (see put_line_head) at ``ns``, of the thread whose state is ``state``, into ``out``;
 * the number of characters, or -1 with an exception (the recording's start or the thread's ref isn't a number). */
static int
line_start(RawCallback *self, const char *kind, long long ns, PyObject *state, char *out)
{
    PyObject *t0_obj = slot(self->recorder, self->recorder_t0), *ref_obj = slot(state, self->state_ref);
    if (t0_obj == NULL || ref_obj == NULL || !PyLong_CheckExact(t0_obj) || !PyLong_CheckExact(ref_obj)) {
        PyErr_SetString(PyExc_TypeError, "a recording's start and a thread's ref are ints");
        return -1;
    }
    long long t0 = held_long_long(t0_obj, &self->t0_held, &self->t0_value), ref = as_long_long(ref_obj);
    if (PyErr_Occurred()) {
        return -1;
    }
    return put_line_head(out, kind, ns - t0, ref);
}

/* "head", "head,tail", then ``end`` (``size`` and ``end_size`` characters), as a str (``tail`` a str or NULL). */
static PyObject *
joined_text(const char *head, int size, PyObject *tail, const char *end, int end_size)
{
    if (tail == NULL || (PyUnicode_Check(tail) && PyUnicode_IS_ASCII(tail))) {
        /* (the common case, ASCII throughout: one str made to size and filled, no buffer in between) */
        Py_ssize_t tail_size = tail == NULL ? 0 : PyUnicode_GET_LENGTH(tail);
        PyObject *text = PyUnicode_New(size + (tail == NULL ? 0 : 1 + tail_size) + end_size, 127);
        if (text == NULL) {
            return NULL;
        }
        Py_UCS1 *out = PyUnicode_1BYTE_DATA(text);
        memcpy(out, head, (size_t)size);
        out += size;
        if (tail != NULL) {
            *out++ = ',';
            memcpy(out, PyUnicode_1BYTE_DATA(tail), (size_t)tail_size);
            out += tail_size;
        }
        memcpy(out, end, (size_t)end_size);
        return text;
    }
    Buffer buffer = {NULL, 0, 0, 0};
    PyObject *text = NULL;
    if (buffer_add(&buffer, head, (size_t)size) == 0 &&
        (tail == NULL || (buffer_add(&buffer, ",", 1) == 0 && buffer_add_str(&buffer, tail) == 0)) &&
        buffer_add(&buffer, end, (size_t)end_size) == 0) {
        text = buffer_str(&buffer);
    }
    buffer_free(&buffer);
    return text;
}

/* Whether the thread's chain of recorded calls still ends in ``top`` (``depth`` long): a value's text may have
 * changed it (unexpectedly: then the Python path decides). */
static int
chain_unchanged(PyObject *frames, Py_ssize_t depth, PyObject *top)
{
    return PyList_GET_SIZE(frames) == depth && (depth == 0 || PyList_GET_ITEM(frames, depth - 1) == top);
}

/* What a frame of ``code`` at ``lasti`` says its f_lineno is (-1: none). Outside a trace function f_lineno is the
 * line of the instruction at ``lasti`` (a trace function's line event sets it only while it runs), fixed for the
 * code: kept by code and offset. */
static int
frame_line(RawCallback *self, PyObject *code, PyFrameObject *frame, int lasti)
{
    LineSlot *cached = &self->line_cache[cache_index(code, lasti, LINE_CACHE_SIZE)];
    for (int way = 0; way < 2; way++) {
        if (cached[way].code == code && cached[way].offset == lasti && refers_to(cached[way].code_ref, code)) {
            return cached[way].line;
        }
    }
    int lineno = PyFrame_GetLineNumber(frame);
    lineno = lineno < 0 ? -1 : lineno;
    PyObject *code_ref = PyWeakref_NewRef(code, NULL); /* (the code's plain weak reference, where it has one) */
    if (code_ref == NULL) {
        PyErr_Clear(); /* (not kept: found again next time) */
        return lineno;
    }
    Py_XDECREF(cached[1].code_ref);
    cached[1] = cached[0];
    cached->code = code;
    cached->code_ref = code_ref;
    cached->offset = lasti;
    cached->line = lineno;
    return lineno;
}

/* A record's text up to its line: "depth,code ref,line"; the number of characters written. */
static int
record_head(char *head, long long depth, long ref, int lineno)
{
    int size = put_int(head, depth);
    head[size++] = ',';
    size += put_int(head + size, ref);
    head[size++] = ',';
    return size + put_int(head + size, lineno);
}

/* A value's text (with values): value_json's where it can tell, else what the recorder's ``text`` makes of it. */
static PyObject *
value_text(RawCallback *self, PyObject *value)
{
    if (self->limit) {
        PyObject *text = value_json(value, self->limit, self->address_only);
        if (text != Py_None) {
            return text;
        }
        Py_DECREF(text);
    }
    return PyObject_CallOneArg(self->text, value);
}

/* The texts of a call's arguments, "[a,b]" (with values); NULL when the Python path must decide (not an optimized
 * frame: its f_locals mapping is what the Python path reads) or with an exception. */
static PyObject *
argument_texts(RawCallback *self, PyObject *site, PyFrameObject *frame)
{
    PyObject *names = slot(site, self->site_names);
    if (slot(site, self->site_optimized) != Py_True || names == NULL || !PyTuple_CheckExact(names)) {
        return NULL;
    }
    char storage[4096];
    Buffer buffer = BUFFER_IN(storage);
    PyObject *result = NULL;
    if (buffer_add(&buffer, "[", 1) < 0) {
        return NULL;
    }
    for (Py_ssize_t index = 0; index < PyTuple_GET_SIZE(names); index++) {
        PyObject *value = PyFrame_GetVar(frame, PyTuple_GET_ITEM(names, index));
        if (value == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_NameError)) {
                goto done;
            }
            PyErr_Clear(); /* unbound: shown as the Python path's MISSING is */
            value = Py_NewRef(self->missing);
        }
        /* (value_json's text straight into the line; else what the recorder's ``text`` makes of the value) */
        int written = index && buffer_add(&buffer, ",", 1) < 0 ? -1
                      : self->limit ? put_value_json(&buffer, value, self->limit, self->address_only)
                                    : 0;
        if (written == 0) {
            PyObject *text = PyObject_CallOneArg(self->text, value);
            written = text == NULL || buffer_add_str(&buffer, text) < 0 ? -1 : 1;
            Py_XDECREF(text);
        }
        Py_DECREF(value);
        if (written < 0) {
            goto done;
        }
    }
    if (buffer_add(&buffer, "]", 1) == 0) {
        result = buffer_str(&buffer);
    }
done:
    buffer_free(&buffer);
    return result;
}

/* Append a callers record, "0,[...]" in ``text``, as its line (as Recorder._raw_callers' record is rendered: at the
 * recording's start, so 0 ns after it). */
static int
append_callers(RawCallback *self, PyObject *records, PyObject *state, PyObject *text)
{
    PyObject *t0 = slot(self->recorder, self->recorder_t0);
    long long start = t0 != NULL ? as_long_long(t0) : -1;
    char head[80];
    int size = start < 0 && PyErr_Occurred() ? -1 : line_start(self, "\"k\"", start, state, head);
    PyObject *line = size < 0 ? NULL : joined_text(head, size - 1, text, "]\n", 2);
    int result = line != NULL ? PyList_Append(records, line) : -1;
    Py_XDECREF(line);
    return result;
}

/* A caller's ``[ref,line]`` as the thread's callers records list it, kept by its code and instruction offset in the
 * table's ``caller_pairs`` (borrowed; NULL when it isn't there yet: the Python path makes it). */
static PyObject *
caller_pair(PyObject *pairs, PyFrameObject *frame)
{
    PyCodeObject *code = PyFrame_GetCode(frame);
    PyObject *key = Py_BuildValue("(NN)", PyLong_FromVoidPtr(code), PyLong_FromLong(PyFrame_GetLasti(frame)));
    Py_DECREF(code);
    PyObject *pair = key != NULL ? PyDict_GetItemWithError(pairs, key) : NULL;
    Py_XDECREF(key);
    return pair != NULL && PyUnicode_Check(pair) ? pair : NULL;
}

/* The callers of a call whose caller isn't the thread's innermost recorded call, as Recorder._callers finds them:
 * walked from the caller up to that call (``reached``), or to the thread's first frame (or the program's launcher). */
typedef struct {
    PyObject *text;     /* the callers record's text (owned; NULL without records of callers) */
    PyObject *top;      /* not reached: the thread's next ``top_callers`` (owned; NULL: it stays as it is) */
    Py_ssize_t between; /* the frames walked */
    int reached;
} Callers;

/* (a walk lists at most this many callers here: the file's MAX_CALLERS is 256; more is left to the Python path) */
#define CALLERS_LIMIT 256

static void
callers_clear(Callers *callers)
{
    Py_CLEAR(callers->text);
    Py_CLEAR(callers->top);
}

/* A callers record's pairs, innermost first: ``frames``' (their ``[ref,line]`` from the table's ``caller_pairs``).
 * -1 when a pair isn't made yet (the Python path makes it) or with an exception. */
static int
add_pairs(Buffer *buffer, PyObject *pairs, PyFrameObject **frames, Py_ssize_t count)
{
    for (Py_ssize_t index = 0; index < count; index++) {
        PyObject *pair = caller_pair(pairs, frames[index]);
        if (pair == NULL || (index && buffer_add(buffer, ",", 1) < 0) || buffer_add_str(buffer, pair) < 0) {
            return -1;
        }
    }
    return 0;
}

/* Not reached: "1,[pairs],shared" for the callers up to the thread's first frame, the outermost ``shared`` of them
 * told by their number (the same code at the same place as the last such record's, ``state``'s ``top_callers``);
 * and the thread's next ``top_callers``. ``cut``: the walk stopped at the most a record lists (no thread's top). */
static int
top_callers_text(RawCallback *self, PyObject *state, PyObject *pairs, PyFrameObject **walked, Py_ssize_t count,
                 int cut, Callers *out)
{
    PyObject *last = slot(state, self->state_top_callers);
    if (last == NULL || !PyList_CheckExact(last)) {
        return -1;
    }
    Py_ssize_t known_count = cut ? 0 : PyList_GET_SIZE(last), shared = 0;
    for (; shared < count && shared < known_count; shared++) {
        PyObject *entry = PyList_GET_ITEM(last, known_count - 1 - shared);
        if (!PyTuple_CheckExact(entry) || PyTuple_GET_SIZE(entry) != 3 ||
            !PyLong_CheckExact(PyTuple_GET_ITEM(entry, 1))) {
            return -1;
        }
        PyFrameObject *caller = walked[count - 1 - shared];
        PyCodeObject *code = PyFrame_GetCode(caller);
        Py_DECREF(code); /* (compared only: the frame holds it) */
        if ((PyObject *)code != PyTuple_GET_ITEM(entry, 0) ||
            PyFrame_GetLasti(caller) != PyLong_AsLong(PyTuple_GET_ITEM(entry, 1))) {
            break;
        }
    }
    Py_ssize_t fresh = count - shared;
    PyObject *top = PyList_New(cut ? 0 : count);
    char storage[1024];
    Buffer buffer = BUFFER_IN(storage);
    int result = top != NULL && buffer_add(&buffer, "1,[", 3) == 0 ? 0 : -1;
    /* (each fresh caller's pair, looked up once: into the text, and into the next top_callers) */
    for (Py_ssize_t index = 0; result == 0 && index < fresh; index++) {
        PyObject *pair = caller_pair(pairs, walked[index]);
        if (pair == NULL || (index && buffer_add(&buffer, ",", 1) < 0) || buffer_add_str(&buffer, pair) < 0) {
            result = -1;
            break;
        }
        if (!cut) {
            PyObject *code = (PyObject *)PyFrame_GetCode(walked[index]);
            PyObject *entry = Py_BuildValue("(NiO)", code, PyFrame_GetLasti(walked[index]), pair);
            if (entry == NULL) {
                result = -1;
                break;
            }
            PyList_SET_ITEM(top, index, entry);
        }
    }
    /* (the shared ones: the last record's, as they are) */
    for (Py_ssize_t index = shared; result == 0 && !cut && index > 0; index--) {
        PyList_SET_ITEM(top, count - index, Py_NewRef(PyList_GET_ITEM(last, known_count - index)));
    }
    char tail[32];
    int tail_size = snprintf(tail, sizeof(tail), "],%zd", shared);
    if (result == 0 && buffer_add(&buffer, tail, (size_t)tail_size) == 0) {
        out->text = buffer_str(&buffer);
    }
    buffer_free(&buffer);
    if (out->text == NULL) {
        Py_XDECREF(top); /* (its unset items are NULL: a list lets them be) */
        return -1;
    }
    out->top = top;
    return 0;
}

/* The callers of a call from ``start`` (its caller) up to ``known`` (the thread's innermost recorded call, or NULL),
 * into ``out`` (Callers); nothing of the thread's state changes here. 0: walked; -1: the Python path decides (a
 * caller's pair isn't made yet, a walk longer than CALLERS_LIMIT), or an exception. */
static int
walk_callers(RawCallback *self, PyObject *state, PyFrameObject *start, PyObject *known, Callers *out)
{
    *out = (Callers){NULL, NULL, 0, 0};
    PyObject *table = slot(self->recorder, self->recorder_table);
    PyObject *pairs = table != NULL && self->records_callers ? PyObject_GetAttr(table, s_caller_pairs) : NULL;
    PyObject *runner = PyObject_GetAttr(self->own_code, s_program_runner);
    if ((self->records_callers && (pairs == NULL || !PyDict_CheckExact(pairs))) || runner == NULL) {
        Py_XDECREF(pairs);
        Py_XDECREF(runner);
        return -1;
    }
    PyFrameObject *walked[CALLERS_LIMIT + 1]; /* (owned; and room for the reached call, borrowed) */
    Py_ssize_t count = 0;
    int result = 0, at_runner = 0;
    PyFrameObject *frame = (PyFrameObject *)Py_XNewRef(start);
    while (frame != NULL && (PyObject *)frame != known) {
        PyCodeObject *code = PyFrame_GetCode(frame);
        Py_DECREF(code); /* (compared only: the frame holds it) */
        if ((at_runner = (PyObject *)code == runner) || count >= self->max_callers) {
            break; /* (above the runner: the command line's launcher, not the program's callers) */
        }
        if (count == CALLERS_LIMIT) {
            result = -1;
            break;
        }
        walked[count++] = frame;
        frame = PyFrame_GetBack(frame);
    }
    out->reached = frame != NULL && (PyObject *)frame == known;
    out->between = count;
    if (result == 0 && self->records_callers && out->reached) {
        /* "0,[pairs]": the callers and the reached call last (its line now, which its recorded calls don't tell) */
        char storage[1024];
        Buffer buffer = BUFFER_IN(storage);
        walked[count] = frame; /* (borrowed here: ``frame`` holds it) */
        if (buffer_add(&buffer, "0,[", 3) == 0 && add_pairs(&buffer, pairs, walked, count + 1) == 0 &&
            buffer_add(&buffer, "]", 1) == 0) {
            out->text = buffer_str(&buffer);
        }
        buffer_free(&buffer);
        result = out->text != NULL ? 0 : -1;
    }
    else if (result == 0 && self->records_callers) {
        int cut = frame != NULL && !at_runner;
        result = top_callers_text(self, state, pairs, walked, count, cut, out);
    }
    for (Py_ssize_t index = 0; index < count; index++) {
        Py_DECREF(walked[index]);
    }
    Py_XDECREF(frame);
    Py_XDECREF(pairs);
    Py_DECREF(runner);
    if (result < 0) {
        callers_clear(out);
    }
    return result;
}

/* How many frames from ``start`` up its chain started after tracing did, as the tracer's Depths.count tells: up to
 * a frame it remembers (its count added) or one of the frames running at its start. 0, or -1 with an exception. */
static int
frames_entered(RawCallback *self, PyFrameObject *start, long long *entered)
{
    long long count = 0;
    int result = 0;
    PyFrameObject *frame = (PyFrameObject *)Py_XNewRef(start);
    while (frame != NULL) {
        PyObject *key = PyLong_FromVoidPtr(frame);
        PyObject *entry = key != NULL ? PyDict_GetItemWithError(self->depths_known, key) : NULL;
        if (entry != NULL && PyTuple_Check(entry) && PyTuple_GET_SIZE(entry) == 2 &&
            PyTuple_GET_ITEM(entry, 0) == (PyObject *)frame) {
            long long known = PyLong_AsLongLong(PyTuple_GET_ITEM(entry, 1));
            result = known == -1 && PyErr_Occurred() ? -1 : 0;
            count += known;
            Py_DECREF(key);
            break;
        }
        PyObject *based = key != NULL && !PyErr_Occurred() ? PyDict_GetItemWithError(self->depths_base, key) : NULL;
        Py_XDECREF(key);
        if (PyErr_Occurred()) {
            result = -1;
            break;
        }
        if (based == (PyObject *)frame) {
            break;
        }
        count++;
        Py_SETREF(frame, PyFrame_GetBack(frame));
    }
    Py_XDECREF(frame);
    *entered = count;
    return result;
}

/* A call (PY_START, PY_RESUME). 1: recorded; 0: left to the Python callback (nothing changed); -1: failed.
 *
 * A call whose caller isn't the thread's innermost recorded call (called from code the recording leaves out, or with
 * no recorded call running) has its callers walked here as the Python step walks them, and its depth counted as the
 * tracer counts it. Standard library code only when its caller is that call: the Python callback asks whether
 * hunter's own code called such a frame (through standard library frames only: then it stays silent), and that call
 * was asked the same when it was called, on the same chain. */
static int
fast_call(RawCallback *self, PyObject *code)
{
    PyObject *info = info_of(self, code);
    if (info == NULL) {
        return 0;
    }
    PyObject *site = slot(info, self->info_raw_site), *fields = slot(info, self->info_call_fields);
    if (site == NULL || site == Py_None || fields == NULL || fields == Py_None ||
        slot(info, self->info_silent) != Py_False || !site_registered(self, site)) {
        Py_DECREF(info);
        return 0;
    }
    int stdlib = slot(info, self->info_stdlib) != Py_False;
    Py_INCREF(site);
    Py_DECREF(info);
    PyThreadState *tstate = PyThreadState_Get();
    PyObject *state = thread_state(self, tstate, 1);
    if (state == NULL) {
        Py_DECREF(site);
        return 0;
    }
    int result = 0;
    PyObject *arguments = NULL, *text = NULL, *entry = NULL, *count = NULL, *top = NULL;
    PyObject *frames = Py_NewRef(slot(state, self->state_frames));
    PyObject *records = Py_NewRef(slot(state, self->state_records));
    /* (held: a value's text may run code that records a call and replaces it, which the check below must see) */
    PyObject *top_callers = Py_XNewRef(slot(state, self->state_top_callers));
    PyFrameObject *back = NULL, *frame = PyThreadState_GetFrame(tstate);
    Py_ssize_t depth = PyList_GET_SIZE(frames);
    Callers callers = {NULL, NULL, 0, 1};
    if (frame == NULL) {
        goto leave;
    }
    if (depth > 0) {
        top = Py_NewRef(PyList_GET_ITEM(frames, depth - 1));
        if (!PyTuple_CheckExact(top) || PyTuple_GET_SIZE(top) != 3) {
            goto leave;
        }
    }
    back = PyFrame_GetBack(frame);
    PyObject *known = top != NULL ? PyTuple_GET_ITEM(top, 0) : NULL;
    /* A caller that isn't the innermost recorded call (a callback from code the recording leaves out, or a call with no
     * recorded call running): its callers up to that call or the thread's first frame, recorded before the call. */
    if (back == NULL || (PyObject *)back != known) {
        if (stdlib || walk_callers(self, state, back, known, &callers) < 0) {
            goto leave;
        }
    }
    long long caller_count;
    if (callers.reached) {
        caller_count = PyLong_AsLongLong(PyTuple_GET_ITEM(top, 1)) + callers.between;
    }
    else {
        /* (not on the chain of the recorded calls: counted from the tracer's start, as Recorder._entered does) */
        PyObject *owner = PyObject_GetAttr(self->recorder, s__owner);
        long long entered = 1;
        int counted = owner == Py_None                                ? 0
                      : owner == self->owner && self->depths_base != NULL ? frames_entered(self, frame, &entered)
                                                                          : -1;
        Py_XDECREF(owner);
        if (counted < 0) {
            goto leave;
        }
        caller_count = (entered > 1 ? entered : 1) - 1;
    }
    long ref = PyLong_AsLong(slot(site, self->site_ref));
    if (PyErr_Occurred()) {
        goto leave;
    }
    long long ns = perf_counter_ns(); /* (before the texts, as the Python step takes it) */
    if (self->values) {
        arguments = argument_texts(self, site, frame);
        if (arguments == NULL) {
            goto leave;
        }
    }
    /* (no line, or a chain a value's text changed: the Python path decides, and writes what f_lineno says) */
    int unchanged = chain_unchanged(frames, depth, top) && slot(state, self->state_top_callers) == top_callers;
    int lineno = unchanged ? frame_line(self, code, frame, PyFrame_GetLasti(frame)) : -1;
    char head[160], end[32];
    int size = lineno < 0 ? -1 : line_start(self, "0", ns, state, head), end_size = 1;
    if (size < 0) {
        goto leave;
    }
    /* Decided: from here on the call is recorded here. */
    result = -1;
    PyObject **calls = (PyObject **)((char *)self->context + self->context_calls);
    PyObject *more = *calls != NULL ? PyNumber_Add(*calls, one)
                                    : PyErr_Format(PyExc_AttributeError, "the context's calls count is unset");
    if (more == NULL) {
        goto leave;
    }
    Py_SETREF(*calls, more);
    if (!callers.reached && depth > 0 && PyList_SetSlice(frames, 0, depth, NULL) < 0) {
        goto leave; /* (the recorded calls aren't this call's chain: their returns were not recorded) */
    }
    if (callers.top != NULL) {
        PyObject **state_top = (PyObject **)((char *)state + self->state_top_callers);
        Py_XSETREF(*state_top, Py_NewRef(callers.top));
    }
    count = PyLong_FromLongLong(caller_count + 1);
    entry = count ? PyTuple_Pack(3, (PyObject *)frame, count, site) : NULL;
    if (entry == NULL || PyList_Append(frames, entry) < 0 ||
        (callers.text != NULL && append_callers(self, records, state, callers.text) < 0)) {
        goto leave;
    }
    /* (the caller's line now, where it called: what a replay's StackPrinter shows of it) */
    int caller_line = -1;
    if (back != NULL) {
        PyCodeObject *caller_code = PyFrame_GetCode(back);
        caller_line = frame_line(self, (PyObject *)caller_code, back, PyFrame_GetLasti(back));
        Py_DECREF(caller_code);
    }
    size += record_head(head + size, caller_count, ref, lineno);
    end[0] = ','; /* (after the arguments: the file's newer fields come last) */
    if (caller_line < 0) {
        memcpy(end + end_size, "null", 4);
        end_size += 4;
    }
    else {
        end_size += put_int(end + end_size, caller_line);
    }
    memcpy(end + end_size, "]\n", 2);
    end_size += 2;
    text = joined_text(head, size, arguments, end, end_size);
    if (text == NULL || append_record(self, records, ns, text, frame, s_call) < 0) {
        goto leave;
    }
    result = 1;
leave:
    if (result == 0) {
        PyErr_Clear();
    }
    Py_DECREF(frames);
    Py_DECREF(records);
    Py_XDECREF(top);
    Py_XDECREF(frame);
    Py_XDECREF(back);
    Py_XDECREF(arguments);
    Py_XDECREF(text);
    Py_XDECREF(entry);
    Py_XDECREF(count);
    Py_XDECREF(top_callers);
    callers_clear(&callers);
    Py_DECREF(site);
    Py_DECREF(state);
    return result;
}

/* The frame leaves: its depth entry goes (an event of it on the normal path made one), as the Python callback does. */
static int
forget_frame(PyObject *known, PyFrameObject *frame)
{
    PyObject *key = PyLong_FromVoidPtr(frame);
    if (key == NULL) {
        return -1;
    }
    int found = PyDict_Contains(known, key);
    int result = found > 0 ? PyDict_DelItem(known, key) : found;
    Py_DECREF(key);
    return result;
}

/* A return or an exception of the thread's innermost recorded call, the running frame: the thread's state and
 * lists, the frame, its entry among the recorded calls, its count and its code's ref (the objects owned). */
typedef struct {
    PyObject *state, *frames, *records, *top;
    PyFrameObject *frame;
    Py_ssize_t depth;
    long long count;
    long ref;
} Innermost;

static void
innermost_clear(Innermost *in)
{
    Py_CLEAR(in->state);
    Py_CLEAR(in->frames);
    Py_CLEAR(in->records);
    Py_CLEAR(in->top);
    Py_CLEAR(in->frame);
}

/* Fill ``in`` when the current thread's innermost recorded call is its running frame, whose code has its entry in
 * this file. 1: so; 0: not so (its call wasn't recorded, it started before tracing, ...: the Python path decides,
 * and ``in`` holds nothing). */
static int
innermost_call(RawCallback *self, Innermost *in)
{
    *in = (Innermost){NULL, NULL, NULL, NULL, NULL, 0, 0, 0};
    PyThreadState *tstate = PyThreadState_Get();
    /* (no look for a new name: neither Python step looks) */
    in->state = thread_state(self, tstate, 0);
    if (in->state == NULL) {
        return 0;
    }
    in->frames = Py_NewRef(slot(in->state, self->state_frames));
    in->records = Py_NewRef(slot(in->state, self->state_records));
    in->frame = PyThreadState_GetFrame(tstate);
    in->depth = PyList_GET_SIZE(in->frames);
    if (in->depth == 0 || in->frame == NULL) {
        goto no;
    }
    PyObject *top = in->top = Py_NewRef(PyList_GET_ITEM(in->frames, in->depth - 1));
    if (!PyTuple_CheckExact(top) || PyTuple_GET_SIZE(top) != 3 || PyTuple_GET_ITEM(top, 0) != (PyObject *)in->frame) {
        goto no;
    }
    PyObject *site = PyTuple_GET_ITEM(top, 2);
    in->count = PyLong_AsLongLong(PyTuple_GET_ITEM(top, 1));
    if ((in->count == -1 && PyErr_Occurred()) || site == Py_None || !site_registered(self, site)) {
        goto no;
    }
    in->ref = PyLong_AsLong(slot(site, self->site_ref));
    if (in->ref == -1 && PyErr_Occurred()) {
        goto no;
    }
    return 1;
no:
    PyErr_Clear();
    innermost_clear(in);
    return 0;
}

/* The start of the line of ``in``'s event of ``kind`` at ``ns``, "[kind,ns,thread,depth,ref,line", into ``head``;
 * its size, or -1: the Python path decides (no line, or a value's text changed the chain of recorded calls). */
static int
innermost_head(RawCallback *self, Innermost *in, const char *kind, long long ns, long long depth, PyObject *code,
               char *head)
{
    int lineno = chain_unchanged(in->frames, in->depth, in->top)
                     ? frame_line(self, code, in->frame, PyFrame_GetLasti(in->frame))
                     : -1;
    int size = lineno < 0 ? -1 : line_start(self, kind, ns, in->state, head);
    return size < 0 ? -1 : size + record_head(head + size, depth, in->ref, lineno);
}

/* Append ``in``'s event line: ``head`` (``size`` characters), then ",value" (with values), then its end; 0, or -1
 * with an exception. */
static int
append_innermost_line(RawCallback *self, Innermost *in, long long ns, const char *head, int size, PyObject *value,
                      PyObject *kind)
{
    PyObject *text = joined_text(head, size, value, "]\n", 2);
    int result = text == NULL ? -1 : append_record(self, in->records, ns, text, in->frame, kind);
    Py_XDECREF(text);
    return result;
}

/* The opcode at byte ``offset`` of ``code``'s bytecode (co_code, as the Python callbacks read it); -1 where there is
 * none (an offset outside it), or -1 with an exception (no bytecode). ``oparg`` (unless NULL): its argument byte, 0
 * where there is none. */
static int
opcode_at(PyObject *code, long offset, int *oparg)
{
    PyObject *bytecode = PyCode_GetCode((PyCodeObject *)code);
    if (bytecode != NULL && !PyBytes_Check(bytecode)) {
        Py_SETREF(bytecode, NULL);
        PyErr_SetString(PyExc_TypeError, "a code object's co_code is bytes");
    }
    Py_ssize_t size = bytecode == NULL ? 0 : PyBytes_GET_SIZE(bytecode);
    const unsigned char *raw = bytecode == NULL ? NULL : (const unsigned char *)PyBytes_AS_STRING(bytecode);
    int opcode = offset < 0 || offset >= size ? -1 : raw[offset];
    if (oparg != NULL) {
        *oparg = offset < 0 || offset + 1 >= size ? 0 : raw[offset + 1];
    }
    Py_XDECREF(bytecode);
    return opcode;
}

/* Code flags of functions whose frames suspend: generators, coroutines, async generators (as _compat's). */
#define SUSPENDABLE_FLAGS (0x20 | 0x80 | 0x100 | 0x200)

/* A return's ``normal`` field, as _recording.how_left tells it: '1' the frame returned, '2' it suspended (a yield, an
 * await), '0' an exception passed through; -1 with an exception (no bytecode). */
static int
how_left(RawCallback *self, PyObject *code, int lasti)
{
    int oparg;
    int opcode = opcode_at(code, lasti, &oparg);
    if (opcode < 0 && PyErr_Occurred()) {
        return -1;
    }
    if (opcode >= 0 && self->returns[opcode]) {
        return '1';
    }
    int suspends = ((PyCodeObject *)code)->co_flags & SUSPENDABLE_FLAGS;
    if (opcode >= 0 && suspends && (self->yields[opcode] || (self->resumes[opcode] && (oparg & 3) != 0))) {
        return '2';
    }
    return '0';
}

/* A return (PY_RETURN, PY_YIELD) of ``value``. 1: recorded; 0: left to the Python callback; -1: failed. */
static int
fast_return(RawCallback *self, PyObject *code, PyObject *value)
{
    PyObject *info = info_of(self, code);
    if (info == NULL) {
        return 0;
    }
    PyObject *raw_site = slot(info, self->info_raw_site);
    int raw = raw_site != NULL && raw_site != Py_None && slot(info, self->info_silent) == Py_False;
    Py_DECREF(info);
    Innermost in;
    if (!raw || !innermost_call(self, &in)) {
        return 0; /* (a call not recorded, one that started before tracing: the Python path finds its count) */
    }
    int result = 0;
    PyObject *returned = NULL;
    int normal = how_left(self, code, PyFrame_GetLasti(in.frame));
    if (normal < 0) {
        goto leave;
    }
    long long ns = perf_counter_ns();
    if (self->values) {
        returned = value_text(self, value);
        if (returned == NULL) {
            goto leave;
        }
    }
    char head[160];
    int size = innermost_head(self, &in, "2", ns, in.count - 1, code, head);
    if (size < 0) {
        goto leave;
    }
    /* Decided: from here on the return is recorded here. */
    result = -1;
    /* As list.pop() does, without giving memory back (``in.top`` holds the entry's reference now) */
    Py_SET_SIZE(in.frames, in.depth - 1);
    Py_DECREF(in.top);
    head[size++] = ',';
    head[size++] = (char)normal;
    if (append_innermost_line(self, &in, ns, head, size, returned, s_return) < 0) {
        goto leave;
    }
    if (self->known != Py_None && PyDict_GET_SIZE(self->known) && forget_frame(self->known, in.frame) < 0) {
        goto leave;
    }
    result = 1;
leave:
    if (result == 0) {
        PyErr_Clear();
    }
    innermost_clear(&in);
    Py_XDECREF(returned);
    return result;
}

/* An exception (RAISE, STOP_ITERATION) of ``exc`` at ``offset``, of code whose exceptions are recorded raw, in the
 * thread's innermost recorded call: its line, as Recorder.raised_line makes it. 1: recorded; 0: left to the Python
 * callback (which also drops a StopIteration the program never sees); -1: failed. */
static int
fast_exception(RawCallback *self, PyObject *code, PyObject *offset_obj, PyObject *exc)
{
    PyObject *info = info_of(self, code);
    if (info == NULL) {
        return 0;
    }
    int raw = slot(info, self->info_raw_exceptions) == Py_True && slot(info, self->info_silent) == Py_False;
    Py_DECREF(info);
    if (!raw || !PyExceptionInstance_Check(exc)) {
        return 0;
    }
    PyObject *traceback = PyException_GetTraceback(exc);
    if (self->event == STOP_EVENT && traceback == NULL) {
        /* (at a loop's end the interpreter makes one the program never sees: the Python callback tells which) */
        int opcode = opcode_at(code, PyLong_AsLong(offset_obj), NULL);
        if (opcode < 0 || self->artificial[opcode]) {
            PyErr_Clear();
            return 0;
        }
    }
    Innermost in;
    if (!innermost_call(self, &in)) {
        Py_XDECREF(traceback);
        return 0; /* (not the innermost recorded call: the normal path finds its depth and callers) */
    }
    int result = 0;
    PyObject *value = NULL;
    long long ns = perf_counter_ns();
    if (self->values) {
        PyObject *triple = PyTuple_Pack(3, (PyObject *)Py_TYPE(exc), exc, traceback != NULL ? traceback : Py_None);
        value = triple != NULL ? value_text(self, triple) : NULL;
        Py_XDECREF(triple);
        if (value == NULL) {
            goto leave;
        }
    }
    char head[160];
    int size = innermost_head(self, &in, "3", ns, in.count, code, head);
    if (size < 0) {
        goto leave;
    }
    /* Decided: from here on the exception is recorded here. */
    result = append_innermost_line(self, &in, ns, head, size, value, s_exception) < 0 ? -1 : 1;
leave:
    if (result == 0) {
        PyErr_Clear();
    }
    innermost_clear(&in);
    Py_XDECREF(value);
    Py_XDECREF(traceback);
    return result;
}

static PyObject *
raw_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    RawCallback *self = (RawCallback *)callable;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (kwnames == NULL && nargs == (self->event == CALL_EVENT ? 2 : 3) && PyCode_Check(args[0]) &&
        PySet_GET_SIZE(self->gate) == 0) {
        /* Held while it runs: sys.monitoring calls a callback through a borrowed reference, and writing what is due
         * may stop the tracer (a failed write), which unregisters this callback and may let the last reference go. */
        Py_INCREF(self);
        int done = self->event == CALL_EVENT     ? fast_call(self, args[0])
                   : self->event == RETURN_EVENT ? fast_return(self, args[0], args[2])
                                                 : fast_exception(self, args[0], args[1], args[2]);
        Py_DECREF(self);
        if (done < 0) {
            return NULL;
        }
        if (done > 0) {
            Py_RETURN_NONE;
        }
    }
    /* (the fallback's own frame holds it; nothing here reads this callback after the call) */
    return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
}

static int
raw_traverse(RawCallback *self, visitproc visit, void *arg)
{
    Py_VISIT(self->fallback);
    Py_VISIT(self->infos);
    Py_VISIT(self->gate);
    Py_VISIT(self->context);
    Py_VISIT(self->recorder);
    Py_VISIT(self->due);
    Py_VISIT(self->text);
    Py_VISIT(self->missing);
    Py_VISIT(self->known);
    Py_VISIT(self->own_code);
    Py_VISIT(self->owner);
    Py_VISIT(self->depths_base);
    Py_VISIT(self->depths_known);
    Py_VISIT(self->address_only);
    Py_VISIT(self->info_type);
    Py_VISIT(self->state_type);
    Py_VISIT(self->site_type);
    Py_VISIT(self->cached_local);
    Py_VISIT(self->cached_state);
    for (size_t index = 0; index < INFO_CACHE_SIZE; index++) {
        Py_VISIT(self->info_cache[index].info);
    }
    for (size_t index = 0; index < LINE_CACHE_SIZE; index++) {
        Py_VISIT(self->line_cache[index].code_ref);
    }
    return 0;
}

static int
raw_clear(RawCallback *self)
{
    Py_CLEAR(self->fallback);
    Py_CLEAR(self->infos);
    Py_CLEAR(self->gate);
    Py_CLEAR(self->context);
    Py_CLEAR(self->recorder);
    Py_CLEAR(self->due);
    Py_CLEAR(self->text);
    Py_CLEAR(self->missing);
    Py_CLEAR(self->known);
    Py_CLEAR(self->own_code);
    Py_CLEAR(self->owner);
    Py_CLEAR(self->depths_base);
    Py_CLEAR(self->depths_known);
    Py_CLEAR(self->address_only);
    Py_CLEAR(self->info_type);
    Py_CLEAR(self->state_type);
    Py_CLEAR(self->site_type);
    Py_CLEAR(self->cached_local);
    Py_CLEAR(self->cached_state);
    Py_CLEAR(self->t0_held);
    Py_CLEAR(self->due_held);
    for (size_t index = 0; index < INFO_CACHE_SIZE; index++) {
        self->info_cache[index].code = NULL;
        Py_CLEAR(self->info_cache[index].info);
    }
    for (size_t index = 0; index < LINE_CACHE_SIZE; index++) {
        self->line_cache[index].code = NULL;
        Py_CLEAR(self->line_cache[index].code_ref);
    }
    return 0;
}

static void
raw_dealloc(RawCallback *self)
{
    PyObject_GC_UnTrack(self);
    raw_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
raw_repr(RawCallback *self)
{
    static const char *names[] = {"call", "return", "raise", "stop iteration"};
    return PyUnicode_FromFormat("<compiled raw %s callback over %R>", names[self->event],
                                self->fallback);
}

static PyTypeObject RawCallbackType;

/* A new callback's caches: empty (they hold no references yet). */
static void
empty_caches(RawCallback *self)
{
    memset(self->info_cache, 0, sizeof(self->info_cache));
    memset(self->line_cache, 0, sizeof(self->line_cache));
    self->cached_thread = 0;
    self->cached_local = self->cached_state = NULL;
    self->t0_held = self->due_held = NULL;
    self->t0_value = self->due_value = 0;
}

/* for_event(event, fallback): a callback like this one for another event, over another Python callback. A backend
 * makes four that differ only in these: parsing the settings once, not four times, is a good part of a recording's
 * start. The caches start empty (each event meets its own code objects and threads). */
static PyObject *
raw_for_event(RawCallback *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyLong_Check(args[0]) || !PyCallable_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "for_event(event, fallback)");
        return NULL;
    }
    long event = PyLong_AsLong(args[0]);
    if (event < CALL_EVENT || event > STOP_EVENT) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_ValueError, "event is CALL, RETURN, RAISE or STOP");
        }
        return NULL;
    }
    RawCallback *copy = PyObject_GC_New(RawCallback, &RawCallbackType);
    if (copy == NULL) {
        return NULL;
    }
    /* (everything after the object's header; the references it holds are taken below) */
    memcpy(&copy->vectorcall, &self->vectorcall, sizeof(RawCallback) - offsetof(RawCallback, vectorcall));
    copy->event = (int)event;
    copy->fallback = Py_NewRef(args[1]);
    PyObject **held[] = {&copy->infos,        &copy->gate,         &copy->context,   &copy->recorder,
                         &copy->due,          &copy->text,         &copy->missing,   &copy->known,
                         &copy->own_code,     &copy->address_only, &copy->owner,     &copy->depths_base,
                         &copy->depths_known, (PyObject **)&copy->info_type, (PyObject **)&copy->state_type,
                         (PyObject **)&copy->site_type};
    for (size_t index = 0; index < sizeof(held) / sizeof(held[0]); index++) {
        Py_XINCREF(*held[index]);
    }
    empty_caches(copy);
    PyObject_GC_Track(copy);
    return (PyObject *)copy;
}

static PyMethodDef raw_methods[] = {
    {"for_event", (PyCFunction)(void (*)(void))raw_for_event, METH_FASTCALL,
     "for_event(event, fallback): the same compiled callback for another event, over another Python callback."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject RawCallbackType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "hunter._speedups.RawCallback",
    .tp_basicsize = sizeof(RawCallback),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "A raw recording callback: the common case compiled, anything else to the Python callback.",
    .tp_vectorcall_offset = offsetof(RawCallback, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_traverse = (traverseproc)raw_traverse,
    .tp_clear = (inquiry)raw_clear,
    .tp_dealloc = (destructor)raw_dealloc,
    .tp_repr = (reprfunc)raw_repr,
    .tp_methods = raw_methods,
};

/* The slot offsets read last, with the classes they were read from (held, so that no other class takes an address)
 * and those classes' version tags: a backend's callbacks, and every later recording's, read the same classes, and
 * reading an offset is an attribute lookup by a C string (the four callbacks of a recording read 84). */
#define OFFSET_TYPES 5
#define OFFSET_SLOTS 32
static struct {
    PyTypeObject *types[OFFSET_TYPES];
    unsigned int tags[OFFSET_TYPES];
    Py_ssize_t offsets[OFFSET_SLOTS];
    size_t count;
} offset_cache;

/* Read the slot offsets of the three record classes, the recorder's and the context's; 0, or -1 with an exception
 * (a TypeError where one is not a slot: a subclass that made it a property, say). */
static int
read_offsets(RawCallback *self)
{
    struct {
        Py_ssize_t *offset;
        PyTypeObject *type;
        const char *name;
    } slots[] = {
        {&self->info_raw_site, self->info_type, "raw_site"},
        {&self->info_call_fields, self->info_type, "call_fields"},
        {&self->info_silent, self->info_type, "has_silent_frames"},
        {&self->info_stdlib, self->info_type, "stdlib"},
        {&self->info_raw_exceptions, self->info_type, "raw_exceptions"},
        {&self->state_thread, self->state_type, "thread"},
        {&self->state_raw_name, self->state_type, "raw_name"},
        {&self->state_frames, self->state_type, "frames"},
        {&self->state_records, self->state_type, "records"},
        {&self->site_table, self->site_type, "table"},
        {&self->site_ref, self->site_type, "ref"},
        {&self->site_names, self->site_type, "names"},
        {&self->site_optimized, self->site_type, "optimized"},
        {&self->info_code_ref, self->info_type, "code_ref"},
        {&self->recorder_local, Py_TYPE(self->recorder), "local"},
        {&self->recorder_due_ns, Py_TYPE(self->recorder), "due_ns"},
        {&self->recorder_table, Py_TYPE(self->recorder), "_table"},
        {&self->recorder_t0, Py_TYPE(self->recorder), "_t0"},
        {&self->state_ref, self->state_type, "ref"},
        {&self->state_top_callers, self->state_type, "top_callers"},
        {&self->context_calls, Py_TYPE(self->context), "calls"},
    };
    enum { SLOT_COUNT = sizeof(slots) / sizeof(slots[0]) };
    Py_BUILD_ASSERT(SLOT_COUNT <= OFFSET_SLOTS);
    PyTypeObject *types[OFFSET_TYPES] = {self->info_type, self->state_type, self->site_type, Py_TYPE(self->recorder),
                                         Py_TYPE(self->context)};
    int cached = offset_cache.count == SLOT_COUNT;
    for (int index = 0; cached && index < OFFSET_TYPES; index++) {
        cached = types[index] == offset_cache.types[index] && types[index]->tp_version_tag != 0 &&
                 types[index]->tp_version_tag == offset_cache.tags[index];
    }
    for (size_t index = 0; index < SLOT_COUNT; index++) {
        *slots[index].offset = cached ? offset_cache.offsets[index] : slot_offset(slots[index].type, slots[index].name);
        if (*slots[index].offset < 0) {
            return -1;
        }
    }
    if (!cached) {
        /* (kept with the classes' version tags, which change when a class or a base is changed) */
        for (int index = 0; index < OFFSET_TYPES; index++) {
            Py_XSETREF(offset_cache.types[index], (PyTypeObject *)Py_NewRef(types[index]));
            offset_cache.tags[index] = types[index]->tp_version_tag;
        }
        for (size_t index = 0; index < SLOT_COUNT; index++) {
            offset_cache.offsets[index] = *slots[index].offset;
        }
        offset_cache.count = SLOT_COUNT;
    }
    return 0;
}

/* Mark each opcode of the iterable ``opcodes`` in ``table``; 0, or -1 with an exception. */
static int
read_opcodes(PyObject *opcodes, unsigned char *table)
{
    PyObject *iterator = PyObject_GetIter(opcodes);
    PyObject *item;
    while (iterator && (item = PyIter_Next(iterator)) != NULL) {
        long opcode = PyLong_AsLong(item);
        Py_DECREF(item);
        if (opcode < 0 || opcode > 255) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_ValueError, "an opcode is 0-255");
            }
            break;
        }
        table[opcode] = 1;
    }
    Py_XDECREF(iterator);
    return PyErr_Occurred() ? -1 : 0;
}

static PyObject *
raw_callback(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"event", "fallback", "infos", "gate", "context", "recorder", "due", "text",
                               "missing", "known", "batch", "return_opcodes", "artificial_opcodes", "types", "limit",
                               "own_code", "max_callers", "address_only", "owner", "depths", "yield_opcodes",
                               "resume_opcodes", NULL};
    int event;
    PyObject *fallback, *infos, *gate, *context, *recorder, *due, *text, *missing, *known, *opcodes, *artificial;
    PyObject *yield_opcodes, *resume_opcodes;
    PyObject *own_code;
    PyObject *address_only, *owner, *depths;
    PyTypeObject *info_type, *state_type, *site_type;
    Py_ssize_t batch, limit, max_callers;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "$iOO!O!OOOOOOnOO(O!O!O!)nOnO!OOOO:raw_callback", keywords, &event,
                                     &fallback, &PyDict_Type, &infos, &PySet_Type, &gate, &context, &recorder, &due,
                                     &text, &missing, &known, &batch, &opcodes, &artificial, &PyType_Type, &info_type,
                                     &PyType_Type, &state_type, &PyType_Type, &site_type, &limit, &own_code,
                                     &max_callers, &PyDict_Type, &address_only, &owner, &depths, &yield_opcodes,
                                     &resume_opcodes)) {
        return NULL;
    }
    if (event < CALL_EVENT || event > STOP_EVENT) {
        PyErr_SetString(PyExc_ValueError, "event is CALL, RETURN, RAISE or STOP");
        return NULL;
    }
    PyObject *values = PyObject_GetAttrString(recorder, "values");
    int values_on = values ? PyObject_IsTrue(values) : -1;
    Py_XDECREF(values);
    PyObject *callers = values_on < 0 ? NULL : PyObject_GetAttrString(recorder, "records_callers");
    int callers_on = callers ? PyObject_IsTrue(callers) : -1;
    Py_XDECREF(callers);
    if (values_on < 0 || callers_on < 0) {
        return NULL;
    }
    RawCallback *self = PyObject_GC_New(RawCallback, &RawCallbackType);
    if (self == NULL) {
        return NULL;
    }
    self->vectorcall = raw_vectorcall;
    self->event = event;
    self->values = values_on;
    self->fallback = Py_NewRef(fallback);
    self->infos = Py_NewRef(infos);
    self->gate = Py_NewRef(gate);
    self->context = Py_NewRef(context);
    self->recorder = Py_NewRef(recorder);
    self->due = Py_NewRef(due);
    self->text = Py_NewRef(text);
    self->limit = limit;
    self->missing = Py_NewRef(missing);
    self->known = Py_NewRef(known);
    self->own_code = Py_NewRef(own_code);
    self->address_only = Py_NewRef(address_only);
    self->owner = Py_NewRef(owner);
    /* (a Depths' dicts are made once and stay: read here, not per call) */
    PyObject *base = depths != Py_None ? PyObject_GetAttrString(depths, "base") : NULL;
    PyObject *known_frames = base != NULL ? PyObject_GetAttrString(depths, "known") : NULL;
    int counts = base != NULL && known_frames != NULL && PyDict_CheckExact(base) && PyDict_CheckExact(known_frames);
    self->depths_base = counts ? Py_NewRef(base) : NULL;
    self->depths_known = counts ? Py_NewRef(known_frames) : NULL;
    Py_XDECREF(base);
    Py_XDECREF(known_frames);
    PyErr_Clear(); /* (no such dicts: such calls are left to the Python path) */
    self->records_callers = callers_on;
    self->max_callers = max_callers;
    self->info_type = (PyTypeObject *)Py_NewRef(info_type);
    self->state_type = (PyTypeObject *)Py_NewRef(state_type);
    self->site_type = (PyTypeObject *)Py_NewRef(site_type);
    self->batch = batch;
    memset(self->returns, 0, sizeof(self->returns));
    memset(self->yields, 0, sizeof(self->yields));
    memset(self->resumes, 0, sizeof(self->resumes));
    memset(self->artificial, 0, sizeof(self->artificial));
    empty_caches(self);
    PyObject_GC_Track(self);
    if (read_offsets(self) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    if (read_opcodes(opcodes, self->returns) < 0 || read_opcodes(artificial, self->artificial) < 0 ||
        read_opcodes(yield_opcodes, self->yields) < 0 || read_opcodes(resume_opcodes, self->resumes) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static int
intern_names(void)
{
    struct {
        PyObject **slot;
        const char *text;
    } names[] = {
        {&s_state, "state"},
        {&s__name, "_name"},
        {&s__owner, "_owner"},
        {&s_caller_pairs, "caller_pairs"},
        {&s_program_runner, "PROGRAM_RUNNER"},
        {&s_call, "call"},
        {&s_exception, "exception"},
        {&s_return, "return"},
    };
    one = PyLong_FromLong(1);
    if (one == NULL) {
        return -1;
    }
    for (size_t index = 0; index < sizeof(names) / sizeof(names[0]); index++) {
        *names[index].slot = PyUnicode_InternFromString(names[index].text);
        if (*names[index].slot == NULL) {
            return -1;
        }
    }
    return 0;
}
#else
#define HAS_RAW_CALLBACKS 0
#endif

static PyObject *
json_text(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 2 || nargs > 3 || !PyLong_Check(args[1]) || (nargs == 3 && !PyDict_CheckExact(args[2]))) {
        PyErr_SetString(PyExc_TypeError, "json_text(value, limit, address_only={})");
        return NULL;
    }
    Py_ssize_t limit = PyLong_AsSsize_t(args[1]);
    return limit == -1 && PyErr_Occurred() ? NULL : value_json(args[0], limit, nargs == 3 ? args[2] : NULL);
}

static PyMethodDef speedups_methods[] = {
    {"render", (PyCFunction)(void (*)(void))render, METH_FASTCALL,
     "render(records, ref, t0, return_marker, thread_marker, callers_marker, out, entries) -> ref: raw records as a "
     "file's lines."},
    {"json_text", (PyCFunction)(void (*)(void))json_text, METH_FASTCALL,
     "json_text(value, limit, address_only={}) -> str or None: a recorded value's text, where it is certain without "
     "running the program's code (None: the Python path decides)."},
#if HAS_RAW_CALLBACKS
    {"raw_callback", (PyCFunction)(void (*)(void))raw_callback, METH_VARARGS | METH_KEYWORDS,
     "raw_callback(*, event, fallback, infos, gate, context, recorder, due, text, missing, known, batch, "
     "return_opcodes, artificial_opcodes, types, limit, own_code, max_callers, address_only, owner, depths): a "
     "compiled raw recording callback over a Python one."},
#endif
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "hunter._speedups",
    .m_doc = "hunter's compiled hot paths (optional: the Python code does the same without them).",
    .m_size = -1,
    .m_methods = speedups_methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
#if HAS_RAW_CALLBACKS
    if (PyType_Ready(&RawCallbackType) < 0 || intern_names() < 0) {
        return NULL;
    }
#endif
    if (value_json_init() < 0) {
        return NULL;
    }
    PyObject *module = PyModule_Create(&speedups_module);
    if (module == NULL) {
        return NULL;
    }
    if (PyModule_AddIntConstant(module, "RAW_CALLBACKS", HAS_RAW_CALLBACKS) < 0
#if HAS_RAW_CALLBACKS
        || PyModule_AddIntConstant(module, "CALL", CALL_EVENT) < 0 ||
        PyModule_AddIntConstant(module, "RETURN", RETURN_EVENT) < 0 ||
        PyModule_AddIntConstant(module, "RAISE", RAISE_EVENT) < 0 ||
        PyModule_AddIntConstant(module, "STOP", STOP_EVENT) < 0
#endif
    ) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
