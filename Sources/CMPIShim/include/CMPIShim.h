// The few MPI calls vaepipe makes, as plain C functions: MPI's handles (MPI_COMM_WORLD,
// MPI_FLOAT, MPI_IN_PLACE) are macros over Open MPI's internal objects, which Swift cannot import.
// Every function returns 0 or an MPI error code, with its text in `message`.
#ifndef CMPISHIM_H
#define CMPISHIM_H
#include <stddef.h>

/// Initialises MPI (funneled: only the thread that called this makes MPI calls), with errors
/// returned instead of aborting, and says this process's rank and the job's size.
int vp_mpi_init(int *rank, int *size, char *message, size_t message_size);
int vp_mpi_sum_float(float *buffer, long count, char *message, size_t message_size);
/// Sums over a power-of-two number of ranks pairwise (rank r with r ^ 1, then r ^ 2, ...), the
/// same bits on every rank, but leaves each rank only its chunk of the sum (floats rank*chunk ..<
/// (rank+1)*chunk, clamped to count); the other chunks are left partial. `scratch` holds `count` floats.
int vp_mpi_reduce_scatter_pairwise_float(float *buffer, float *scratch, long count, long chunk,
                                         char *message, size_t message_size);
/// Each rank's chunk of the buffer to every rank.
int vp_mpi_allgather_chunks_float(float *buffer, long count, long chunk, char *message, size_t message_size);
int vp_mpi_sum_double(double *buffer, long count, char *message, size_t message_size);
int vp_mpi_finalize(void);
/// Ends the whole job (every rank) with `code`.
void vp_mpi_abort(int code);
/// The Open MPI library's version string.
const char *vp_mpi_library_version(void);
#endif
