"""Speed tracked over releases: training and inference throughput, memory and scale, on the CPU and the GPU."""
