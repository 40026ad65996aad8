# Fails unless README (the project README) contains EXAMPLE (a source file) verbatim, so that the
# example a reader copies is the one the tests build and run. Run by the readme_example test.
cmake_minimum_required(VERSION 3.22)
file(READ "${README}" readme)
file(READ "${EXAMPLE}" example)
string(FIND "${readme}" "${example}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${README} does not contain ${EXAMPLE} verbatim: copy the file into its "
                      "code block again")
endif()
