// The plugin ABI is the header alone; this file gives SwiftPM a source to compile for the module.
#include "vaepipe_plugin.h"
