// SPDX-License-Identifier: GPL-2.0
/*
 * cdiff driver: the revision's famfs.c, #included unchanged, run case by case.
 *
 * Input (stdin), one record per line, a case ending with "E":
 *   C <index> <parse|open> <page_size> <pmd_size> <fail_nth or 0>
 *   F <payload hex>                          parse: the GET_FMAP payload
 *   I <i_size> <nodeid>                      open: the inode LOOKUP gave
 *   N <name hex> <err> <mode> <rdev> <nodev> <dax> <busy>   a namespace entry
 *   R <opcode> <nodeid> <reply frame hex or ->              scripted reply, in order
 *   Q <offset> <length> <flags>              open: then famfs_fuse_iomap_begin
 *   E
 * Output (stdout): one JSON line per case, {"i":N,"exit":..,"signal":..,"result":{..}|null}.
 * Each case runs in a forked child, so a divide error, a NULL dereference or a
 * sanitizer abort ends that case only; the parent collects the child's
 * sanitizer report from its stderr.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>

#include "cdiff_have.h"
#include "famfs.c"

struct cdiff_arch cdiff_arch = { 4096, 2097152 };

/* ---------------- case world ---------------- */

#define CDIFF_MAX_NODES 32
#define CDIFF_MAX_REPLIES 64
#define CDIFF_MAX_ALLOCS 4096
#define CDIFF_MAX_DMESG 64

struct dax_device {
	dev_t devno;
	char name[300];
	bool alive;
	bool busy;		/* held by another holder before the case */
	void *holder;
	const struct dax_holder_operations *ops;
	int refcount;
};

struct cdiff_node {
	char name[300];
	int err;
	struct inode inode;
	struct dentry dentry;
	struct vfsmount mnt;
	struct dax_device dax;
	bool is_dax;
};

struct cdiff_reply {
	u32 opcode;
	u64 nodeid;
	u8 *frame;		/* NULL: the server never answered */
	size_t len;
	bool used;
};

static struct {
	int index;
	char mode[16];
	long fail_nth;
	u8 *payload;
	size_t payload_len;
	loff_t i_size;
	u64 nodeid;
	struct cdiff_node nodes[CDIFF_MAX_NODES];
	int nnodes;
	struct cdiff_reply replies[CDIFF_MAX_REPLIES];
	int nreplies;
	bool resolve;
	loff_t q_offset, q_length;
	unsigned int q_flags;
} C;

/* allocation table (the harness's kmemleak) */
static struct { const void *p; size_t size; } live[CDIFF_MAX_ALLOCS];
static int nlive, nallocs, alloc_calls;
static char *dmesg[CDIFF_MAX_DMESG];
static int ndmesg;
static bool conn_dead;
static char requests[2048];

/* ---------------- output helpers ---------------- */

static void jstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = *s;
		if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f) fprintf(f, "\\u%04x", c);
		else fputc(c, f);
	}
	fputc('"', f);
}

/* the dmesg lines since the last stage record, then cleared */
static void put_dmesg(FILE *f)
{
	fputs(",\"dmesg\":[", f);
	for (int i = 0; i < ndmesg; i++) {
		if (i) fputc(',', f);
		jstr(f, dmesg[i]);
		free(dmesg[i]);
	}
	ndmesg = 0;
	fputc(']', f);
}

/* close one stage record: dmesg, newline, flush (a later crash keeps it) */
static void end_stage(void)
{
	put_dmesg(stdout);
	printf("}\n");
	fflush(stdout);
}

/* ---------------- shims (declared in cdiff_kernel.h / fuse_i.h) ---------------- */

__attribute__((noreturn)) void cdiff_oops(const char *kind, const char *what)
{
	printf("{\"stage\":\"oops\",\"oops\":");
	jstr(stdout, kind);
	printf(",\"detail\":");
	jstr(stdout, what);
	end_stage();
	_exit(3);
}

unsigned long find_next_bit(const unsigned long *addr, unsigned long size, unsigned long offset)
{
	for (unsigned long b = offset; b < size; b++)
		if (addr[b / BITS_PER_LONG] & (1UL << (b % BITS_PER_LONG)))
			return b;
	return size;
}

void down_read(struct rw_semaphore *sem)
{
	if (sem->writer) cdiff_oops("lock_imbalance", "down_read while this thread holds the write lock (deadlock)");
	sem->readers++;
}

void up_read(struct rw_semaphore *sem)
{
	if (sem->readers <= 0) cdiff_oops("lock_imbalance", "up_read of a rwsem not held for read");
	sem->readers--;
}

void down_write(struct rw_semaphore *sem)
{
	if (sem->writer || sem->readers) cdiff_oops("lock_imbalance", "down_write of a rwsem this thread holds (deadlock)");
	sem->writer = 1;
}

void up_write(struct rw_semaphore *sem)
{
	if (!sem->writer) cdiff_oops("lock_imbalance", "up_write of a rwsem not held for write");
	sem->writer = 0;
}

static bool fail_this_call(void)
{
	alloc_calls++;
	return C.fail_nth > 0 && alloc_calls == C.fail_nth;
}

static void *slab_alloc(size_t size)
{
	if (size == 0)
		return ZERO_SIZE_PTR;
	if (fail_this_call())
		return NULL;
	if (nlive >= CDIFF_MAX_ALLOCS)
		cdiff_oops("bug", "cdiff allocation table full");
	void *p = calloc(1, size);
	if (!p)
		return NULL;
	live[nlive].p = p;
	live[nlive].size = size;
	nlive++;
	nallocs++;
	return p;
}

void *kzalloc(size_t size, gfp_t gfp) { (void)gfp; return slab_alloc(size); }
void *kmalloc(size_t size, gfp_t gfp) { (void)gfp; return slab_alloc(size); }

void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	(void)gfp;
	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return slab_alloc(bytes);
}

void *kmalloc_array(size_t n, size_t size, gfp_t gfp) { return kcalloc(n, size, gfp); }

void kfree(const void *p)
{
	if (ZERO_OR_NULL_PTR(p))
		return;
	for (int i = 0; i < nlive; i++) {
		if (live[i].p == p) {
			free((void *)p);
			live[i] = live[--nlive];
			return;
		}
	}
	cdiff_oops("double_free", "kfree of an object that is not allocated");
}

char *kstrdup(const char *s, gfp_t gfp)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *d = kmalloc(n, gfp);
	if (d)
		memcpy(d, s, n);
	return d;
}

void cdiff_printk(const char *level, const char *fmt, ...)
{
	char line[1024];
	int off = snprintf(line, sizeof(line), "%s: ", level);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line + off, sizeof(line) - off, fmt, ap);
	va_end(ap);
	size_t n = strlen(line);
	if (n && line[n - 1] == '\n')
		line[n - 1] = 0;
	if (ndmesg < CDIFF_MAX_DMESG)
		dmesg[ndmesg++] = strdup(line);
}

static struct cdiff_node *node_by_rdev(dev_t devno)
{
	for (int i = 0; i < C.nnodes; i++)
		if (C.nodes[i].is_dax && !C.nodes[i].err && C.nodes[i].inode.i_rdev == devno)
			return &C.nodes[i];
	return NULL;
}

struct dax_device *dax_dev_get(dev_t devno)
{
	struct cdiff_node *n = node_by_rdev(devno);

	if (!n || !n->dax.alive)
		return NULL;
	n->dax.refcount++;
	return &n->dax;
}

void put_dax(struct dax_device *dax_dev)
{
	dax_dev->refcount--;
}

int fs_dax_get(struct dax_device *dax_dev, void *holder, const struct dax_holder_operations *ops)
{
	if (!dax_dev->alive)
		return -ENODEV;
	/* cmpxchg(&holder_data, NULL, holder): any holder at all, even this one, is -EBUSY */
	if (dax_dev->busy || dax_dev->holder)
		return -EBUSY;
	dax_dev->holder = holder;
	dax_dev->ops = ops;
	return 0;
}

void fs_put_dax(struct dax_device *dax_dev, void *holder)
{
	if (dax_dev->holder == holder) {
		dax_dev->holder = NULL;
		dax_dev->ops = NULL;
	}
}

void *dax_holder(struct dax_device *dax_dev) { return dax_dev->holder; }

void inode_lock(struct inode *inode)
{
	if (inode->i_lock_held) cdiff_oops("lock_imbalance", "inode_lock of a locked inode (deadlock)");
	inode->i_lock_held = 1;
}

void inode_unlock(struct inode *inode)
{
	if (!inode->i_lock_held) cdiff_oops("lock_imbalance", "inode_unlock of an unlocked inode");
	inode->i_lock_held = 0;
}

bool noop_dirty_folio(struct address_space *mapping, struct folio *folio)
{
	(void)mapping; (void)folio;
	return false;
}

void file_accessed(struct file *file) { (void)file; cdiff_oops("unreachable", "file_accessed"); }
int file_update_time(struct file *file) { (void)file; cdiff_oops("unreachable", "file_update_time"); }
void sb_start_pagefault(struct super_block *sb) { (void)sb; cdiff_oops("unreachable", "sb_start_pagefault"); }
void sb_end_pagefault(struct super_block *sb) { (void)sb; cdiff_oops("unreachable", "sb_end_pagefault"); }
vm_fault_t filemap_map_pages(struct vm_fault *vmf, pgoff_t s, pgoff_t e) { (void)vmf; (void)s; (void)e; cdiff_oops("unreachable", "filemap_map_pages"); }
ssize_t dax_iomap_rw(struct kiocb *iocb, struct iov_iter *iter, const struct iomap_ops *ops) { (void)iocb; (void)iter; (void)ops; cdiff_oops("unreachable", "dax_iomap_rw"); }
vm_fault_t dax_iomap_fault(struct vm_fault *vmf, unsigned int order, unsigned long *pfnp, int *errp, const struct iomap_ops *ops)
{ (void)vmf; (void)order; (void)pfnp; (void)errp; (void)ops; cdiff_oops("unreachable", "dax_iomap_fault"); }
vm_fault_t dax_finish_sync_fault(struct vm_fault *vmf, unsigned int order, unsigned long pfn) { (void)vmf; (void)order; (void)pfn; cdiff_oops("unreachable", "dax_finish_sync_fault"); }

int kern_path(const char *name, unsigned int flags, struct path *path)
{
	(void)flags;
	for (int i = 0; i < C.nnodes; i++) {
		struct cdiff_node *n = &C.nodes[i];
		if (strcmp(n->name, name))
			continue;
		if (n->err)
			return n->err;
		path->dentry = &n->dentry;
		path->mnt = &n->mnt;
		return 0;
	}
	return -ENOENT;
}

void path_put(const struct path *path) { (void)path; }

bool may_open_dev(const struct path *path) { return !(path->mnt->mnt_flags & MNT_NODEV); }

/* fuse_out_header: len u32, error s32, unique u64 (16 bytes) */
static int reply_error(const struct cdiff_reply *r)
{
	s32 err;
	memcpy(&err, r->frame + 4, 4);
	return err;
}

static struct cdiff_reply *take_reply(u32 opcode, u64 nodeid)
{
	for (int i = 0; i < C.nreplies; i++) {
		struct cdiff_reply *r = &C.replies[i];
		if (!r->used && r->opcode == opcode && r->nodeid == nodeid) {
			r->used = true;
			return r;
		}
	}
	return NULL;
}

static int copy_out_args(struct fuse_args *args, const u8 *payload, size_t nbytes)
{
	size_t reqsize = 0, off = 0;

	for (int i = 0; i < args->out_numargs; i++)
		reqsize += args->out_args[i].size;
	if (reqsize < nbytes || (reqsize > nbytes && !args->out_argvar))
		return -EINVAL;
	if (reqsize > nbytes && reqsize - nbytes > args->out_args[args->out_numargs - 1].size)
		return -EINVAL;	/* the short part must fit in the variable last arg */
	for (int i = 0; i < args->out_numargs; i++) {
		struct fuse_arg *a = &args->out_args[i];
		if (i == args->out_numargs - 1 && args->out_argvar)
			a->size = nbytes - off;
		memcpy(a->value, payload + off, a->size);
		off += a->size;
	}
	return 0;
}

ssize_t fuse_simple_request(struct fuse_mount *fm, struct fuse_args *args)
{
	(void)fm;
	size_t rl = strlen(requests);
	snprintf(requests + rl, sizeof(requests) - rl, "%s%u:%llu", rl ? "," : "", args->opcode, (unsigned long long)args->nodeid);
	if (conn_dead)
		return -ENOTCONN;
	struct cdiff_reply *r = take_reply(args->opcode, args->nodeid);
	if (!r || !r->frame || r->len < 16) {
		cdiff_printk("err", "fuse: no reply to opcode %u: aborting connection", args->opcode);
		conn_dead = true;
		return -ENOTCONN;
	}
	u32 len;
	memcpy(&len, r->frame, 4);
	int err = reply_error(r);
	if (len != r->len || err <= -512 || err > 0) {
		conn_dead = true;	/* fuse_dev_write refused it: the request never completes */
		return -ENOTCONN;
	}
	if (err)
		return r->len != 16 ? -EIO : err;
	if (copy_out_args(args, r->frame + 16, r->len - 16))
		return -EIO;
	if (args->out_argvar)
		return args->out_args[args->out_numargs - 1].size;
	return 0;
}

/* ---------------- running one case ---------------- */

static void put_u64(const char *k, unsigned long long v) { printf(",\"%s\":\"%llu\"", k, v); }

#ifdef HAVE_famfs_fuse_meta_alloc
static void put_meta(const struct famfs_file_meta *m)
{
	printf(",\"meta\":");
	if (!m) {
		printf("null");
		return;
	}
	printf("{\"error\":%d,\"file_type\":%d,\"extent_type\":%d", m->error, (int)m->file_type, (int)m->fm_extent_type);
	put_u64("file_size", m->file_size);
	printf(",\"dev_bitmap\":\"0x%llx\"", (unsigned long long)m->dev_bitmap);
	if (m->fm_extent_type == SIMPLE_DAX_EXTENT)
		printf(",\"nextents\":%zu", (size_t)m->fm_nextents);
	else if (m->fm_extent_type == INTERLEAVED_EXTENT)
		printf(",\"niext\":%zu", (size_t)m->fm_niext);
	printf("}");
}

static void run_parse(void)
{
	size_t bufsize = C.payload_len > PAGE_SIZE ? C.payload_len : PAGE_SIZE;
	u8 *buf = calloc(1, bufsize);
	struct famfs_file_meta *meta = NULL;

	memcpy(buf, C.payload, C.payload_len);
	int rc = famfs_fuse_meta_alloc(buf, C.payload_len, &meta);
	C.fail_nth = 0;
	printf("{\"stage\":\"parse\",\"rc\":%d", rc);
	put_meta(meta);
	printf(",\"allocs\":%d", nallocs);
	end_stage();
#ifdef HAVE___famfs_meta_free
	__famfs_meta_free(meta);
#endif
	printf("{\"stage\":\"free\",\"live_after_free\":%d", nlive);
	end_stage();
	free(buf);
}
#endif

#ifdef HAVE_fuse_get_fmap
static void put_devlist(const struct fuse_conn *fc)
{
	printf(",\"devlist\":");
	if (!fc->dax_devlist) {
		printf("null");
		return;
	}
	printf("[");
	bool first = true;
	for (int i = 0; i < fc->dax_devlist->nslots; i++) {
		const struct famfs_daxdev *d = &fc->dax_devlist->devlist[i];
		if (!d->valid && !d->name && !d->devp)
			continue;
		printf("%s{\"slot\":%d,\"valid\":%d,\"error\":%d,\"dax_err\":%d,\"name\":", first ? "" : ",", i, d->valid, d->error, d->dax_err);
		jstr(stdout, d->name);
		printf(",\"dax\":");
		jstr(stdout, d->devp ? d->devp->name : NULL);
		printf("}");
		first = false;
	}
	printf("]");
}

static void run_open(void)
{
	struct fuse_conn fc = {};
	struct super_block sb = {};
	struct fuse_mount fm = { .fc = &fc };
	struct fuse_inode *fi = calloc(1, sizeof(*fi));
	struct inode *inode = &fi->inode;

	init_rwsem(&fc.famfs_devlist_sem);
	sb.s_fs_info = &fm;
	inode->i_sb = &sb;
	inode->i_mode = S_IFREG | 0644;
	inode->i_ino = C.nodeid;
	inode->i_size = C.i_size;
	inode->i_mapping = &inode->i_data;
	inode->i_data.host = inode;
	fi->nodeid = C.nodeid;

	int rc = fuse_get_fmap(&fm, inode);
	C.fail_nth = 0;
	printf("{\"stage\":\"open\",\"rc\":%d,\"requests\":", rc);
	jstr(stdout, requests);
	put_u64("i_size", inode->i_size);
	printf(",\"dax\":%d", IS_DAX(inode));
	put_meta(fi->famfs_meta);
	put_devlist(&fc);
	printf(",\"allocs\":%d", nallocs);
	end_stage();
#ifdef HAVE_famfs_fuse_iomap_begin
	if (C.resolve && fi->famfs_meta) {
		struct iomap map = {};
		int r = famfs_fuse_iomap_begin(inode, C.q_offset, C.q_length, C.q_flags, &map, NULL);
		printf("{\"stage\":\"resolve\",\"rc\":%d", r);
		put_u64("addr", map.addr);
		put_u64("offset", (u64)map.offset);
		put_u64("length", map.length);
		printf(",\"type\":%u,\"flags\":%u,\"device\":", map.type, map.flags);
		jstr(stdout, map.dax_dev ? map.dax_dev->name : NULL);
		printf(",\"file_error\":%d", ((struct famfs_file_meta *)fi->famfs_meta)->error);
		end_stage();
	}
#endif
#ifdef HAVE___famfs_meta_free
	__famfs_meta_free(fi->famfs_meta);
	fi->famfs_meta = NULL;
#endif
#ifdef HAVE_famfs_teardown
	famfs_teardown(&fc);
#endif
	int refs = 0;
	for (int i = 0; i < C.nnodes; i++)
		refs += C.nodes[i].dax.refcount;
	printf("{\"stage\":\"teardown\",\"live_after_teardown\":%d,\"dax_refs_after_teardown\":%d", nlive, refs);
	end_stage();
	free(fi);
}
#endif

static void run_case_child(void)
{
	alarm(10);
#ifdef HAVE_famfs_fuse_meta_alloc
	if (!strcmp(C.mode, "parse")) {
		run_parse();
		return;
	}
#endif
#ifdef HAVE_fuse_get_fmap
	if (!strcmp(C.mode, "open")) {
		run_open();
		return;
	}
#endif
	printf("{\"stage\":\"unsupported\",\"mode\":");
	jstr(stdout, C.mode);
	end_stage();
}

/* Fork, run, and print one line: the child's record plus how it ended. */
static void run_case(FILE *errlog)
{
	int pfd[2];

	fflush(stdout);
	if (pipe(pfd))
		abort();
	rewind(errlog);
	if (ftruncate(fileno(errlog), 0))
		abort();
	pid_t pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		dup2(pfd[1], 1);
		dup2(fileno(errlog), 2);
		run_case_child();
		fflush(stdout);
		_exit(0);
	}
	close(pfd[1]);
	char *out = NULL;
	size_t outlen = 0;
	FILE *pin = fdopen(pfd[0], "r");
	char chunk[4096];
	size_t got;
	while ((got = fread(chunk, 1, sizeof(chunk), pin)) > 0) {
		out = realloc(out, outlen + got + 1);
		memcpy(out + outlen, chunk, got);
		outlen += got;
	}
	fclose(pin);
	int status = 0;
	waitpid(pid, &status, 0);
	if (out)
		out[outlen] = 0;
	while (outlen && (out[outlen - 1] == '\n'))
		out[--outlen] = 0;
	for (size_t k = 0; k < outlen; k++)
		if (out[k] == '\n')
			out[k] = ',';
	printf("{\"i\":%d,\"exit\":%d,\"signal\":%d,\"stages\":[%s],\"stderr\":", C.index,
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1, WIFSIGNALED(status) ? WTERMSIG(status) : 0,
	       outlen ? out : "");
	fflush(errlog);
	long n = ftell(errlog);
	char *err = calloc(1, n + 1);
	rewind(errlog);
	if (n > 0 && fread(err, 1, n, errlog) != (size_t)n)
		err[0] = 0;
	jstr(stdout, err);
	printf("}\n");
	fflush(stdout);
	free(err);
	free(out);
}

static u8 *unhex(const char *s, size_t *len)
{
	size_t n = strlen(s) / 2;
	u8 *b = malloc(n ? n : 1);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(s + 2 * i, "%2x", &v);
		b[i] = v;
	}
	*len = n;
	return b;
}

static void reset_case(void)
{
	free(C.payload);
	for (int i = 0; i < C.nreplies; i++)
		free(C.replies[i].frame);
	memset(&C, 0, sizeof(C));
	ndmesg = nlive = nallocs = alloc_calls = 0;
	conn_dead = false;
	requests[0] = 0;
}

static void add_node(char *line)
{
	char namehex[700];
	unsigned mode, rdev;
	int err, nodev, dax, busy;
	size_t len;

	if (C.nnodes >= CDIFF_MAX_NODES || sscanf(line, "N %699s %d %o %u %d %d %d", namehex, &err, &mode, &rdev, &nodev, &dax, &busy) != 7)
		return;
	struct cdiff_node *n = &C.nodes[C.nnodes++];
	u8 *name = unhex(strcmp(namehex, "-") ? namehex : "", &len);
	memcpy(n->name, name, len < sizeof(n->name) - 1 ? len : sizeof(n->name) - 1);
	free(name);
	n->err = err;
	n->inode.i_mode = mode;
	n->inode.i_rdev = rdev;
	n->dentry.d_inode = &n->inode;
	n->mnt.mnt_flags = nodev ? MNT_NODEV : 0;
	n->is_dax = dax;
	n->dax.devno = rdev;
	n->dax.alive = dax;
	n->dax.busy = busy;
	strcpy(n->dax.name, n->name);
}

static void add_reply(char *line)
{
	unsigned opcode;
	unsigned long long nodeid;
	char *hex = malloc(strlen(line) + 1);

	if (C.nreplies < CDIFF_MAX_REPLIES && sscanf(line, "R %u %llu %s", &opcode, &nodeid, hex) == 3) {
		struct cdiff_reply *r = &C.replies[C.nreplies++];
		r->opcode = opcode;
		r->nodeid = nodeid;
		r->frame = strcmp(hex, "-") ? unhex(hex, &r->len) : NULL;
	}
	free(hex);
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *errlog = tmpfile();

	if (!errlog)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	while (getline(&line, &cap, stdin) > 0) {
		line[strcspn(line, "\r\n")] = 0;
		switch (line[0]) {
		case 'C':
			reset_case();
			sscanf(line, "C %d %15s %lu %lu %ld", &C.index, C.mode, &cdiff_arch.page_size, &cdiff_arch.pmd_size, &C.fail_nth);
			break;
		case 'F':
			C.payload = unhex(strlen(line) > 2 && strcmp(line + 2, "-") ? line + 2 : "", &C.payload_len);
			break;
		case 'I':
			sscanf(line, "I %lld %llu", &C.i_size, (unsigned long long *)&C.nodeid);
			break;
		case 'N':
			add_node(line);
			break;
		case 'R':
			add_reply(line);
			break;
		case 'Q':
			C.resolve = sscanf(line, "Q %lld %lld %u", &C.q_offset, &C.q_length, &C.q_flags) == 3;
			break;
		case 'E':
			run_case(errlog);
			break;
		}
	}
	free(line);
	return 0;
}
