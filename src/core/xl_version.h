/* xl_version.h - the library version (semantic versioning). */
#ifndef XL_VERSION_H
#define XL_VERSION_H
#define XLREC_VERSION "0.1.0"
#define XLREC_VERSION_MAJOR 0
#define XLREC_VERSION_MINOR 1
#define XLREC_VERSION_PATCH 0
#endif
