/* test_workspace_dir.c: the path rules of model/workspace_dir.c, and its
 * create, reset and remove on a real directory tree: symlinks removed and
 * never followed, a tree deeper than the descriptors kept, and directories
 * a sandbox left without permissions.  As root, the tree work runs as
 * nobody in a child, where permissions are enforced. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model/workspace_dir.h"
#include "tap.h"

#define ROOT "/srv/pipelit/workspaces"

static void
check_path(const char *requested, const char *want, const char *what)
{
	char *name = NULL;
	int rc = wsdir_name_of_path(ROOT, requested, &name);
	if (want == NULL)
		is_int(rc, WSDIR_OUTSIDE, "%s is refused", what);
	else
		ok(rc == WSDIR_OK && name && strcmp(name, want) == 0, "%s is %s", what, want);
	free(name);
}

static void
test_path_rules(void)
{
	check_path(ROOT "/proj", "proj", "an absolute path under the root");
	check_path(ROOT "//proj/", "proj", "repeated and trailing slashes");
	check_path("proj", "proj", "a relative name");
	check_path("/srv//pipelit/workspaces/proj", "proj", "the root with a doubled slash");
	check_path(ROOT, NULL, "the root itself");
	check_path(ROOT "/", NULL, "the root with a slash");
	check_path(ROOT "/a/b", NULL, "two levels down");
	check_path(ROOT "/../x", NULL, "..");
	check_path(ROOT "/./x", NULL, ". inside");
	check_path(ROOT "/x/..", NULL, ".. at the end");
	check_path("..", NULL, "a relative ..");
	check_path("../x", NULL, "a relative path up");
	check_path("/tmp/x", NULL, "an absolute path elsewhere");
	check_path("/srv/pipelit/workspacesx/y", NULL, "a name that only starts like the root");
	check_path("/srv/pipelit", NULL, "a parent of the root");
	check_path("", NULL, "an empty path");
	check_path("a\nb", NULL, "a control character");
	char longname[300];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	check_path(longname, NULL, "a component over NAME_MAX");
	ok(!wsdir_name_ok("a/b") && !wsdir_name_ok(".") && !wsdir_name_ok("..") &&
	   !wsdir_name_ok("") && !wsdir_name_ok("a\x7f") && wsdir_name_ok(".hidden") &&
	   wsdir_name_ok("caf\xc3\xa9"), "names: slashes, dots, DEL refused; UTF-8 and dots inside kept");
	char *p = wsdir_path("/", "x");
	is_str(p, "/x", "a root of / joins without a doubled slash");
	free(p);
	p = wsdir_path("/a/b/", "x");
	is_str(p, "/a/b/x", "a trailing slash of the root is dropped");
	free(p);
}

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

static int
count_entries(const char *dir)
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	FILE *p = popen(cmd, "r");
	int n = -1;
	if (p != NULL) {
		if (fscanf(p, "%d", &n) != 1)
			n = -1;
		pclose(p);
	}
	return n;
}

static int
mode_of(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

/* The tree work, in a directory of its own: tmp holds root/ and outside/. */
static void
test_tree(const char *tmp)
{
	char root[4096], outside[4096], ws[4096 + 16], path[4096 + 512];
	snprintf(root, sizeof(root), "%s/root", tmp);
	snprintf(outside, sizeof(outside), "%s/outside", tmp);
	snprintf(ws, sizeof(ws), "%s/proj", root);
	mkdir(outside, 0700);
	snprintf(path, sizeof(path), "%s/keep", outside);
	put(path, "outside");

	int created = 0;
	is_int(wsdir_create(root, "proj", 0, &created), WSDIR_OK, "create makes the root and proj");
	ok(created, "and says it made it");
	is_int(mode_of(ws), 0700, "proj is 0700");
	snprintf(path, sizeof(path), "%s/.tmp", ws);
	is_int(mode_of(path), 0700, "its .tmp is 0700");
	is_int(wsdir_create(root, "proj", 0, &created), WSDIR_OK, "a vacant directory is taken");
	ok(!created, "and not counted as made");

	/* A tree: files, a locked directory, a deep chain, symlinks out. */
	snprintf(path, sizeof(path), "%s/f", ws);
	put(path, "x");
	snprintf(path, sizeof(path), "%s/locked", ws);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/locked/inner", ws);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/locked/inner/f", ws);
	put(path, "y");
	snprintf(path, sizeof(path), "%s/locked/inner", ws);
	chmod(path, 0);
	snprintf(path, sizeof(path), "%s/locked", ws);
	chmod(path, 0500);
	snprintf(path, sizeof(path), "%s/link", ws);
	ok(symlink(outside, path) == 0, "a symlink to outside is planted");
	snprintf(path, sizeof(path), "%s/deep", ws);
	for (int i = 0; i < 150 && mkdir(path, 0700) == 0; i++) {
		size_t n = strlen(path);
		snprintf(path + n, sizeof(path) - n, "/d");
	}
	path[strlen(path) - 2] = '\0';   /* the last "/d" was not made */
	char link_deep[4096 + 600];
	snprintf(link_deep, sizeof(link_deep), "%s/l", path);
	ok(symlink(outside, link_deep) == 0, "a symlink at the bottom of a 150-level chain");
	is_int(wsdir_create(root, "proj", 0, &created), WSDIR_NOT_EMPTY,
	       "a directory with files is not taken");
	is_int(wsdir_create(root, "proj", 1, &created), WSDIR_OK, "unless its contents are kept");

	is_int(wsdir_reset(root, "proj"), WSDIR_OK, "reset empties it");
	is_int(count_entries(ws), 1, "leaving only .tmp");
	is_int(count_entries(outside), 1, "the symlinks' target keeps its file");

	snprintf(path, sizeof(path), "%s/.rootfs", ws);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/.rootfs/usr", ws);
	mkdir(path, 0);
	is_int(wsdir_remove_entry(root, "proj", ".rootfs"), WSDIR_OK, "remove .rootfs (a 0000 dir in it)");
	snprintf(path, sizeof(path), "%s/.rootfs", ws);
	ok(access(path, F_OK) != 0, ".rootfs is gone");

	/* The workspace directory swapped for a symlink. */
	snprintf(path, sizeof(path), "%s/away", tmp);
	rename(ws, path);
	ok(symlink(outside, ws) == 0, "proj is replaced by a symlink to outside");
	is_int(wsdir_reset(root, "proj"), WSDIR_OUTSIDE, "reset refuses it");
	is_int(wsdir_remove_entry(root, "proj", "keep"), WSDIR_OUTSIDE, "remove_entry refuses it");
	is_int(count_entries(outside), 1, "outside is untouched");
	is_int(wsdir_remove(root, "proj"), WSDIR_OK, "remove unlinks the symlink");
	ok(access(ws, F_OK) != 0 && count_entries(outside) == 1, "and leaves its target");
	rename(path, ws);
	snprintf(path, sizeof(path), "%s/sub", ws);
	mkdir(path, 0);
	is_int(wsdir_remove(root, "proj"), WSDIR_OK, "remove deletes the directory and all in it");
	ok(access(ws, F_OK) != 0, "proj is gone");
	is_int(wsdir_remove(root, "proj"), WSDIR_OK, "removing what is gone is no error");
	is_int(wsdir_create(root, "..", 0, &created), WSDIR_OUTSIDE, "create refuses ..");
}

int
main(void)
{
	test_path_rules();
	char tmpl[] = "/tmp/pipelit-wsdir-XXXXXX";
	char *tmp = mkdtemp(tmpl);
	if (tmp == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	struct passwd *nobody = geteuid() == 0 ? getpwnam("nobody") : NULL;
	if (nobody != NULL) {
		/* Root passes every permission check: the tree work runs as nobody. */
		if (chown(tmp, nobody->pw_uid, nobody->pw_gid) != 0)
			printf("# chown: %s\n", strerror(errno));
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			if (setgid(nobody->pw_gid) != 0 || setuid(nobody->pw_uid) != 0)
				_exit(99);
			test_tree(tmp);
			int rc = done_testing();
			fflush(stdout);
			_exit(rc);
		}
		int status = 0;
		waitpid(pid, &status, 0);
		char cmd[200];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", tmp);
		/* The child numbered on from here and printed the plan. */
		return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	}
	test_tree(tmp);
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", tmp, tmp);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmp);
	return done_testing();
}
