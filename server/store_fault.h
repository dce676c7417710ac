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

#endif
