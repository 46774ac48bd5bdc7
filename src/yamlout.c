/* being written */
#include <stddef.h>
extern int placeholder_yamlout;
