/* Linux device-number macros; WASI has no devices. */
#ifndef _SYS_SYSMACROS_H
#define _SYS_SYSMACROS_H
#define major(x) ((unsigned)(((x) >> 8) & 0xfff))
#define minor(x) ((unsigned)(((x) & 0xff) | (((x) >> 12) & 0xfff00)))
#define makedev(x, y) ((((x) & 0xfff) << 8) | ((y) & 0xff) | (((y) & 0xfff00) << 12))
#endif
