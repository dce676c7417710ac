/*
 * store_fault.h - fault injection under the SQLite store (store_fault.c), for tests only.
 */
#ifndef ADVICE_STORE_FAULT_H
#define ADVICE_STORE_FAULT_H

/*
 * Registers the fault-injecting VFS as SQLite's default when ADVICE_FAULT_INJECT is set.
 * Returns 0 when the variable is unset (nothing done), 1 when registered, -1 on a bad value.
 * Call once before opening any store.
 */
int store_fault_setup(void);

/*
 * Tests: replaces the fault by `spec` (the same form), counted from now, so that a test can
 * aim it at one batch. The VFS must be registered (store_fault_setup() returned 1); call it
 * while no store I/O runs. 0, or -1 on a bad spec or when nothing is registered.
 */
int store_fault_arm(const char *spec);

#endif
