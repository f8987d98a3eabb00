"""Where lines come from: paths, globs, directories, stdin; rotated series; decompression;
batches of whole lines with byte offsets; which checkpoint is a file's."""
