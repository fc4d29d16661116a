// Time of one in-place MPI_Allreduce (sum) of `count` floats, as vaepipe does per step on the
// flat gradient buffer: the median of `reps` calls after a warm-up, printed by rank 0.
// Build: mpicc -O2 Benchmarks/mpi_allreduce.c -o allreduce; run: mpirun -np 2 ./allreduce COUNT [REPS]
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
    float *buffer = calloc(count, sizeof *buffer);
    double *times = malloc(sizeof *times * reps);
    for (int i = 0; i < 20; i++) MPI_Allreduce(MPI_IN_PLACE, buffer, (int)count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    for (int i = 0; i < reps; i++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t = MPI_Wtime();
        MPI_Allreduce(MPI_IN_PLACE, buffer, (int)count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        times[i] = MPI_Wtime() - t;
    }
    qsort(times, reps, sizeof *times, cmp);
    if (rank == 0)
        printf("%d ranks, %ld floats (%.1f MB): median %.3f ms, %.2f GB/s algorithm bandwidth\n", size, count,
               count * 4 / 1e6, times[reps / 2] * 1e3, count * 4 / times[reps / 2] / 1e9);
    free(buffer); free(times);
    MPI_Finalize();
    return 0;
}
