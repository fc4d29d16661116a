// Time of one in-place MPI_Allreduce (sum) of `count` floats on the flat gradient buffer, and of
// what vaepipe does per step instead when each rank holds whole parts of the batch (a power of two
// of ranks): the pairwise reduce-scatter of the gradients and the all-gather of the new weights
// (Sources/CMPIShim, compiled in). The median of `reps` calls after a warm-up, printed by rank 0.
// Build: mpicc -O2 -ISources/CMPIShim/include Benchmarks/mpi_allreduce.c Sources/CMPIShim/mpi_shim.c -o allreduce
// Run: mpirun -np 2 ./allreduce COUNT [REPS]
#include "CMPIShim.h"
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    long count = argc > 1 ? atol(argv[1]) : 652824;
    int reps = argc > 2 ? atoi(argv[2]) : 200, rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    float *buffer = calloc(count, sizeof *buffer), *scratch = calloc(count, sizeof *scratch);
    double *times = malloc(sizeof *times * reps);
    char message[256];
    long chunk = ((count + size - 1) / size + 15) / 16 * 16;  // MPIJob's segments
    for (int pairwise = 0; pairwise < 2; pairwise++) {
        if (pairwise && (size & (size - 1))) break;  // pairwise sums need a power of two of ranks
        for (int i = -20; i < reps; i++) {
            MPI_Barrier(MPI_COMM_WORLD);
            double t = MPI_Wtime();
            if (pairwise) {
                vp_mpi_reduce_scatter_pairwise_float(buffer, scratch, count, chunk, message, sizeof message);
                vp_mpi_allgather_chunks_float(buffer, count, chunk, message, sizeof message);
            } else {
                MPI_Allreduce(MPI_IN_PLACE, buffer, (int)count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            }
            if (i >= 0) times[i] = MPI_Wtime() - t;
        }
        qsort(times, reps, sizeof *times, cmp);
        if (rank == 0)
            printf("%d ranks, %ld floats (%.1f MB), %s: median %.3f ms, %.2f GB/s algorithm bandwidth\n", size, count,
                   count * 4 / 1e6, pairwise ? "pairwise reduce-scatter + all-gather" : "MPI_Allreduce",
                   times[reps / 2] * 1e3, count * 4 / times[reps / 2] / 1e9);
    }
    free(buffer); free(scratch); free(times);
    MPI_Finalize();
    return 0;
}
