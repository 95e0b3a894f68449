/* commands.h: the subcommands of `reelgraph`, one file each (tools/cmd_<name>.c). Each takes the
 * arguments after its name (argv[0] is the subcommand name) and returns the exit code. */
#ifndef REELGRAPH_COMMANDS_H
#define REELGRAPH_COMMANDS_H

int cmd_fetch(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_neighbors(int argc, char **argv);
int cmd_sample(int argc, char **argv);
int cmd_similar(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_recommend(int argc, char **argv);

#endif
