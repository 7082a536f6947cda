// job_runner.h
//
// Runs of a table trained in processes of their own, so several train at once without
// sharing LibTorch's global state (the random generator, the thread count): the run's
// spec goes to <run_dir>/job_spec.pbtxt, `program --run_planned=<that file>
// --cache_dir=<cache>` trains it with its output in <run_dir>/train.log, and the result is
// read back from results.json. Safe to call from several threads (TableOptions::jobs).
//
//   options.jobs = 2;
//   RunTable(table, options, ProcessRunFunction("/proc/self/exe", options.cache_dir));
#ifndef PAPER_TABLES_LIB_JOB_RUNNER_H_
#define PAPER_TABLES_LIB_JOB_RUNNER_H_

#include <string>

#include "paper_tables/lib/table_runner.h"

namespace wsol::tables {

RunFunction ProcessRunFunction(const std::string& program, const std::string& cache_dir);

// The last `lines` lines of a text file ("" when unreadable), for error messages.
std::string TailOfFile(const std::string& path, int lines);

}  // namespace wsol::tables

#endif  // PAPER_TABLES_LIB_JOB_RUNNER_H_
