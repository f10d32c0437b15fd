/*
 * command.h: the confirmation commands a chat user types
 * (pipelit-engine.md 2.10): the text, trimmed of whitespace, is exactly
 * "/confirm_<id>" or "/cancel_<id>", the id one or more word characters as
 * Python's \w counts them (letters and digits of any script, and "_").
 * Pure.
 */
#ifndef PIPELIT_GATEWAY_COMMAND_H
#define PIPELIT_GATEWAY_COMMAND_H

/* 1 when text is a command: *task_id (malloc'd) the id, *cancel whether it
 * is a cancel; 0 when it is an ordinary message. */
int gateway_command_parse(const char *text, char **task_id, int *cancel);

#endif
