FROM ubuntu:24.04
RUN sudo apt-get update # want PAL-113 "RUN uses sudo"
RUN make && sudo make install # want PAL-113
