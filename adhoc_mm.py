import sys, time, cProfile, pstats
sys.argv=["x","--total","0"]
import benchmarks.my_meetings as b
orig=b.measure
done=[]
def measure(client, path):
    r=orig(client,path)
    if path==b.PATHS[0] and not done:
        done.append(1)
        p=cProfile.Profile(); p.enable()
        for _ in range(20): client.get(path)
        p.disable()
        pstats.Stats(p).sort_stats("tottime").print_stats(25)
        raise SystemExit
    return r
b.measure=measure
b.main()
