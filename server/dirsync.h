/*
 * dirsync.h - fsync of a folder, so that a file made, renamed or removed in it survives a crash.
 */
#ifndef ADVICE_DIRSYNC_H
#define ADVICE_DIRSYNC_H

/* Opens `dir` and fsyncs it. 0, or -1 with errno. */
int dir_sync(const char *dir);

#endif
