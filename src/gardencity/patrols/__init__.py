"""Patrols by zone (分片巡查): teams and their zones of grid cells, key sites with the person
who watches each, patrols recorded on the phone with their GPS tracks, and the grid's
coverage by those tracks."""
