/*
 * ctl_commands.h - advicectl's one command table: for each command its name, group,
 * arguments, a one-line summary, a description with an example, and how it runs. advicectl
 * dispatches on it and `advicectl help` prints it, so the two cannot disagree.
 */
#ifndef ADVICE_CTL_COMMANDS_H
#define ADVICE_CTL_COMMANDS_H

#include <stdio.h>

/* How a command runs. Only the CTL_SERVER* kinds need DIR's running adviced. */
enum ctl_run {
	CTL_HELP,	     /* help [COMMAND]: offline */
	CTL_INIT,	     /* offline, makes DIR: advicectl init DIR ... */
	CTL_ROOT_CREATE,     /* offline, a key file only: no data folder */
	CTL_LOGIN,	     /* a worker's login over the network: no data folder */
	CTL_REQUEST,	     /* one request as a worker over the network: no data folder */
	CTL_DEV_TOKEN,	     /* -d DIR, reads DIR's key files only: adviced need not run */
	CTL_SERVER,	     /* -d DIR: runs on DIR's adviced */
	CTL_SERVER_PASSWORD, /* -d DIR: as CTL_SERVER, a password on stdin turned into its key here */
	CTL_SERVER_KEYS,     /* -d DIR: signs here with key files, adviced writes the records */
	CTL_SERVER_STDIN,    /* -d DIR: as CTL_SERVER, with a line of stdin sent apart from the arguments */
	CTL_SERVER_BACKUP,   /* -d DIR: as CTL_SERVER, the target folder made and checked here first */
	CTL_RESTORE,	     /* offline: restore BACKUP DATADIR, no -d */
};

struct ctl_command {
	const char *name;
	const char *group;	 /* one of ctl_groups[] */
	const char *args;	 /* the arguments' synopsis, "" when none */
	const char *summary;	 /* one line */
	const char *description; /* a paragraph, lines of at most 80 columns */
	const char *example;	 /* one or more complete command lines */
	enum ctl_run run;
};

extern const struct ctl_command ctl_commands[];
extern const size_t ctl_ncommands;
extern const char *const ctl_groups[];
extern const size_t ctl_ngroups;

/* The command called `name`, or NULL. */
const struct ctl_command *ctl_command_find(const char *name);
/* 1 when the command needs `-d DIR` before its name. */
int ctl_command_needs_dir(const struct ctl_command *c);
/* 1 when the command runs without adviced. */
int ctl_command_offline(const struct ctl_command *c);

/* The command's synopsis line: "advicectl [-d DIR] NAME ARGS\n". */
void ctl_print_synopsis(FILE *f, const struct ctl_command *c);
/* `advicectl help COMMAND`: synopsis, where it runs, description, example. */
void ctl_print_help(FILE *f, const struct ctl_command *c);
/* `advicectl help`: every command, group by group, with its summary. */
void ctl_print_help_all(FILE *f);
/* The usage text (no arguments, or arguments advicectl cannot read). */
void ctl_print_usage(FILE *f);

#endif
