/*
 * famfs_test_server: a small libfuse low-level server for the harness's
 * external-server tests. It serves regular files in its root directory, each
 * filled with the harness's xorshift pattern (sim/scenario.ts pattern()), and
 * prints one JSON line on stdout per request, with the fields as libfuse
 * decoded them and the values it answered, so a test can compare both sides of
 * every message.
 *
 *   famfs_test_server [--file NAME:SIZE:SEED]... [--die-on OP] [--hang-on OP]
 *                     [--raw] [--claim-dax-fmap] /dev/fd/N
 *
 * --die-on OP   _exit(3) when a request OP arrives, before answering it
 * --hang-on OP  read OP and never answer (exits by itself after 30 s)
 * --raw         use libfuse's custom io hooks (plain read/writev on the fd) to
 *               log every record's size as read and written
 * --claim-dax-fmap  (implies --raw) set FUSE_INIT_EXT and FUSE_DAX_FMAP in the
 *               INIT reply: a server that claims famfs but, like stock
 *               libfuse, has no GET_FMAP / GET_DAXDEV handler (-ENOSYS)
 */
#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILES 16
#define MAX_FILE_SIZE (16u << 20)
#define HANG_SECONDS 30

/* fuse_kernel.h facts (not installed by libfuse3-dev) */
#define OP_INIT 26
#define IN_HEADER_SIZE 40
#define OUT_HEADER_SIZE 16
#define INIT_EXT_FLAG (1u << 30)
#define DAX_FMAP_FLAG2 (1u << (43 - 32))
#define INIT_OUT_FLAGS_OFF 12
#define INIT_OUT_FLAGS2_OFF 32

struct tfile {
	char name[256];
	uint8_t *data;
	size_t size;
	size_t cap;
};

static struct tfile files[MAX_FILES];
static int nfiles;
static const char *die_on;
static const char *hang_on;
static int claim_dax_fmap;
static uint64_t init_unique;

static void pattern(uint8_t *b, size_t len, uint32_t seed)
{
	uint32_t x = seed ? seed : 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = x & 0xff;
	}
}

static void misbehave(const char *op)
{
	if (die_on && strcmp(die_on, op) == 0) {
		printf("{\"op\":\"%s\",\"action\":\"die\"}\n", op);
		fflush(stdout);
		_exit(3);
	}
	if (hang_on && strcmp(hang_on, op) == 0) {
		printf("{\"op\":\"%s\",\"action\":\"hang\"}\n", op);
		fflush(stdout);
		sleep(HANG_SECONDS);
		_exit(4);
	}
}

static struct tfile *file_of(fuse_ino_t ino)
{
	return ino >= 2 && ino < (fuse_ino_t)nfiles + 2 ? &files[ino - 2] : NULL;
}

static void fill_attr(fuse_ino_t ino, struct stat *st)
{
	struct tfile *f = file_of(ino);

	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_blksize = 4096;
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		st->st_size = 4096;
	} else {
		st->st_mode = S_IFREG | 0644;
		st->st_nlink = 1;
		st->st_size = f->size;
		st->st_blocks = (f->size + 511) / 512;
	}
}

static void print_attr(const struct stat *st)
{
	printf("\"ino\":%llu,\"size\":%lld,\"blocks\":%lld,\"mode\":%u,\"nlink\":%u,\"blksize\":%ld",
	       (unsigned long long)st->st_ino, (long long)st->st_size, (long long)st->st_blocks,
	       (unsigned)st->st_mode, (unsigned)st->st_nlink, (long)st->st_blksize);
}

static void t_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	misbehave("INIT");
	/* Splice would split a large reply across records on a socketpair. */
	conn->want &= ~(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
	printf("{\"op\":\"INIT\",\"proto_major\":%u,\"proto_minor\":%u,\"max_readahead\":%u,"
	       "\"capable\":%u,\"want\":%u,\"max_write\":%u,\"max_read\":%u,"
	       "\"max_background\":%u,\"congestion_threshold\":%u,\"time_gran\":%u}\n",
	       conn->proto_major, conn->proto_minor, conn->max_readahead, conn->capable, conn->want,
	       conn->max_write, conn->max_read, conn->max_background, conn->congestion_threshold,
	       conn->time_gran);
	fflush(stdout);
}

static void t_destroy(void *userdata)
{
	(void)userdata;
	printf("{\"op\":\"DESTROY\"}\n");
	fflush(stdout);
}

static void t_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;

	misbehave("LOOKUP");
	printf("{\"op\":\"LOOKUP\",\"parent\":%llu,\"name\":\"%s\"", (unsigned long long)parent, name);
	for (int i = 0; parent == FUSE_ROOT_ID && i < nfiles; i++) {
		if (strcmp(files[i].name, name) != 0)
			continue;
		memset(&e, 0, sizeof(e));
		e.ino = i + 2;
		e.generation = 7;
		e.attr_timeout = 1.0;
		e.entry_timeout = 1.0;
		fill_attr(e.ino, &e.attr);
		printf(",\"reply\":{\"nodeid\":%llu,\"generation\":%llu,", (unsigned long long)e.ino,
		       (unsigned long long)e.generation);
		print_attr(&e.attr);
		printf("}}\n");
		fflush(stdout);
		fuse_reply_entry(req, &e);
		return;
	}
	printf(",\"reply\":{\"error\":%d}}\n", -ENOENT);
	fflush(stdout);
	fuse_reply_err(req, ENOENT);
}

static void t_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	misbehave("GETATTR");
	printf("{\"op\":\"GETATTR\",\"nodeid\":%llu,\"with_fh\":%s", (unsigned long long)ino, fi ? "true" : "false");
	if (ino != FUSE_ROOT_ID && !file_of(ino)) {
		printf(",\"reply\":{\"error\":%d}}\n", -ENOENT);
		fflush(stdout);
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_attr(ino, &st);
	printf(",\"reply\":{");
	print_attr(&st);
	printf("}}\n");
	fflush(stdout);
	fuse_reply_attr(req, &st, 1.0);
}

static void t_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	misbehave("OPEN");
	printf("{\"op\":\"OPEN\",\"nodeid\":%llu,\"flags\":%d", (unsigned long long)ino, fi->flags);
	if (!file_of(ino)) {
		printf(",\"reply\":{\"error\":%d}}\n", -EISDIR);
		fflush(stdout);
		fuse_reply_err(req, EISDIR);
		return;
	}
	fi->fh = 0x1000 + ino;
	fi->direct_io = 1; /* the kernel port's plain read path is direct io */
	printf(",\"reply\":{\"fh\":%llu,\"direct_io\":1}}\n", (unsigned long long)fi->fh);
	fflush(stdout);
	fuse_reply_open(req, fi);
}

static void t_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct tfile *f = file_of(ino);
	size_t n = 0;

	misbehave("READ");
	if (f && (size_t)off < f->size)
		n = f->size - off < size ? f->size - off : size;
	printf("{\"op\":\"READ\",\"nodeid\":%llu,\"fh\":%llu,\"offset\":%lld,\"size\":%zu,\"flags\":%d,\"reply\":{\"bytes\":%zu}}\n",
	       (unsigned long long)ino, (unsigned long long)fi->fh, (long long)off, size, fi->flags, n);
	fflush(stdout);
	if (!f) {
		fuse_reply_err(req, EBADF);
		return;
	}
	fuse_reply_buf(req, (const char *)f->data + off, n);
}

static void t_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct tfile *f = file_of(ino);

	misbehave("WRITE");
	printf("{\"op\":\"WRITE\",\"nodeid\":%llu,\"fh\":%llu,\"offset\":%lld,\"size\":%zu,\"flags\":%d",
	       (unsigned long long)ino, (unsigned long long)fi->fh, (long long)off, size, fi->flags);
	if (!f || off < 0 || (size_t)off + size > MAX_FILE_SIZE) {
		printf(",\"reply\":{\"error\":%d}}\n", -EFBIG);
		fflush(stdout);
		fuse_reply_err(req, f ? EFBIG : EBADF);
		return;
	}
	if ((size_t)off + size > f->cap) {
		size_t cap = (size_t)off + size;
		uint8_t *d = realloc(f->data, cap);

		if (!d) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
		memset(d + f->cap, 0, cap - f->cap);
		f->data = d;
		f->cap = cap;
	}
	memcpy(f->data + off, buf, size);
	if ((size_t)off + size > f->size)
		f->size = off + size;
	printf(",\"reply\":{\"bytes\":%zu}}\n", size);
	fflush(stdout);
	fuse_reply_write(req, size);
}

static void t_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	misbehave("RELEASE");
	printf("{\"op\":\"RELEASE\",\"nodeid\":%llu,\"fh\":%llu,\"flags\":%d,\"flush\":%u,\"lock_owner\":%llu}\n",
	       (unsigned long long)ino, (unsigned long long)fi->fh, fi->flags, fi->flush,
	       (unsigned long long)fi->lock_owner);
	fflush(stdout);
	fuse_reply_err(req, 0);
}

static const struct fuse_lowlevel_ops ops = {
	.init = t_init,
	.destroy = t_destroy,
	.lookup = t_lookup,
	.getattr = t_getattr,
	.open = t_open,
	.read = t_read,
	.write = t_write,
	.release = t_release,
};

/* custom io: the same read/writev libfuse would do on the fd, logged */
static ssize_t raw_read(int fd, void *buf, size_t len, void *userdata)
{
	ssize_t n = read(fd, buf, len);
	(void)userdata;

	if (n >= IN_HEADER_SIZE) {
		uint32_t hlen, opcode;
		uint64_t unique;

		memcpy(&hlen, buf, 4);
		memcpy(&opcode, (char *)buf + 4, 4);
		memcpy(&unique, (char *)buf + 8, 8);
		if (opcode == OP_INIT)
			init_unique = unique;
		printf("{\"raw\":\"read\",\"bytes\":%zd,\"len\":%u,\"opcode\":%u,\"unique\":%llu}\n", n, hlen, opcode,
		       (unsigned long long)unique);
	} else {
		printf("{\"raw\":\"read\",\"bytes\":%zd}\n", n);
	}
	fflush(stdout);
	return n;
}

static ssize_t raw_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	static uint8_t frame[1 << 16];
	size_t total = 0;
	uint64_t unique = 0;
	int32_t error = 0;
	(void)userdata;

	for (int i = 0; i < count; i++)
		total += iov[i].iov_len;
	if (count > 0 && iov[0].iov_len >= OUT_HEADER_SIZE) { /* libfuse: iov[0] is the out header */
		memcpy(&error, (char *)iov[0].iov_base + 4, 4);
		memcpy(&unique, (char *)iov[0].iov_base + 8, 8);
	}
	if (total <= sizeof(frame)) {
		size_t off = 0;

		for (int i = 0; i < count; i++) {
			memcpy(frame + off, iov[i].iov_base, iov[i].iov_len);
			off += iov[i].iov_len;
		}
		if (claim_dax_fmap && unique == init_unique && total >= OUT_HEADER_SIZE + INIT_OUT_FLAGS2_OFF + 4) {
			uint32_t flags, flags2;

			memcpy(&flags, frame + OUT_HEADER_SIZE + INIT_OUT_FLAGS_OFF, 4);
			memcpy(&flags2, frame + OUT_HEADER_SIZE + INIT_OUT_FLAGS2_OFF, 4);
			flags |= INIT_EXT_FLAG;
			flags2 |= DAX_FMAP_FLAG2;
			memcpy(frame + OUT_HEADER_SIZE + INIT_OUT_FLAGS_OFF, &flags, 4);
			memcpy(frame + OUT_HEADER_SIZE + INIT_OUT_FLAGS2_OFF, &flags2, 4);
		}
	}
	printf("{\"raw\":\"write\",\"bytes\":%zu,\"iovecs\":%d,\"error\":%d,\"unique\":%llu}\n", total, count, error,
	       (unsigned long long)unique);
	fflush(stdout);
	if (total <= sizeof(frame)) {
		struct iovec one = { frame, total };

		return writev(fd, &one, 1);
	}
	return writev(fd, iov, count);
}

static const struct fuse_custom_io raw_io = {
	.read = raw_read,
	.writev = raw_writev,
};

static int add_file(const char *spec)
{
	char name[256];
	unsigned long long size;
	unsigned long seed;
	struct tfile *f;

	if (nfiles == MAX_FILES || sscanf(spec, "%255[^:]:%llu:%lu", name, &size, &seed) != 3 || size > MAX_FILE_SIZE)
		return -1;
	f = &files[nfiles++];
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->size = f->cap = size;
	f->data = calloc(1, size ? size : 1);
	if (!f->data)
		return -1;
	pattern(f->data, size, (uint32_t)seed);
	return 0;
}

static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s [--file NAME:SIZE:SEED]... [--die-on OP] [--hang-on OP] [--raw] [--claim-dax-fmap] /dev/fd/N\n",
		prog);
	return 2;
}

int main(int argc, char **argv)
{
	char *fuse_argv[] = { argv[0] };
	struct fuse_args args = FUSE_ARGS_INIT(1, fuse_argv);
	const char *mountpoint = NULL;
	struct fuse_session *se;
	int raw = 0, fd, rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--file") == 0 && i + 1 < argc) {
			if (add_file(argv[++i]))
				return usage(argv[0]);
		} else if (strcmp(argv[i], "--die-on") == 0 && i + 1 < argc) {
			die_on = argv[++i];
		} else if (strcmp(argv[i], "--hang-on") == 0 && i + 1 < argc) {
			hang_on = argv[++i];
		} else if (strcmp(argv[i], "--raw") == 0) {
			raw = 1;
		} else if (strcmp(argv[i], "--claim-dax-fmap") == 0) {
			raw = claim_dax_fmap = 1;
		} else if (!mountpoint && strncmp(argv[i], "/dev/fd/", 8) == 0) {
			mountpoint = argv[i];
		} else {
			return usage(argv[0]);
		}
	}
	if (!mountpoint)
		return usage(argv[0]);

	se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!se)
		return 1;
	if (fuse_set_signal_handlers(se))
		return 1;
	if (raw) {
		fd = atoi(mountpoint + 8);
		rc = fuse_session_custom_io(se, &raw_io, fd);
	} else {
		rc = fuse_session_mount(se, mountpoint); /* libfuse's own /dev/fd/N path */
	}
	if (rc) {
		fprintf(stderr, "famfs_test_server: cannot use %s\n", mountpoint);
		return 1;
	}
	rc = fuse_session_loop(se);
	fprintf(stderr, "famfs_test_server: loop ended, rc=%d\n", rc);
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	return rc < 0 ? 1 : 0;
}
