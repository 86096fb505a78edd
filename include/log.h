/*
 * log.h: the kernel log.
 *
 * Every message goes into an in-memory ring (kept for a later `dmesg`) and,
 * when its level is at or above the console threshold (`loglevel=` on the
 * kernel command line, default info), to the console with a prefix that
 * names the level.  Messages are whole lines: a message without a final
 * newline gets one.
 */
#ifndef PINWHEEL_LOG_H
#define PINWHEEL_LOG_H

#include <types.h>

enum log_level {
	LOG_DEBUG = 0,
	LOG_INFO = 1,
	LOG_NOTICE = 2,
	LOG_WARN = 3,
	LOG_ERR = 4,
};

/*
 * klog: log one message at a level.
 *
 * Context: any, including hard interrupt with spin mutexes held.  Never
 * blocks.
 */
void klog(enum log_level level, const char *fmt, ...) __printflike(2, 3);
void vklog(enum log_level level, const char *fmt, va_list ap);

/*
 * log_read: copy up to size-1 bytes of the ring, oldest first, into buf
 * starting at byte offset off of what is retained.  Returns the bytes
 * copied (buf is NUL-terminated).  Context: thread.
 */
size_t log_read(char *buf, size_t size, size_t off);

#define kinfo(...)	klog(LOG_INFO, __VA_ARGS__)
#define knotice(...)	klog(LOG_NOTICE, __VA_ARGS__)
#define kwarn(...)	klog(LOG_WARN, __VA_ARGS__)
#define kerr(...)	klog(LOG_ERR, __VA_ARGS__)
#define kdebug(...)	klog(LOG_DEBUG, __VA_ARGS__)

#endif
